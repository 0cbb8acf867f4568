"""The mailbox seen by its subscriber: listening and the greetings (SPEC §3.1).

These nodes are part of the access flow (menus/access_flow.py), entered from the
main menu (`1`) and the customise menu (`1`), at home or remotely.

While a message plays (its envelope, then the recording) the keys of the
message menu already act: the subscriber need not wait for the end.
"""

from menus.flow import Branch, Entry, Go, Menu, Play, Record
from menus.operations import (
    DateChosen,
    Deleted,
    Held,
    Kept,
    MessageCount,
    MessageKind,
    NextMessage,
    OnOff,
    PreviousMessage,
    Saved,
)

# Call values holding the recording being played.
MESSAGE = Play("message_url")
PENDING_GREETING = Play("pending_greeting_url")
GREETING_SECONDS = 60
NAME_SECONDS = 10

# Where a message played leads: its envelope ("urgent" first if it is), then the recording.
PLAYED = {
    "known": Go("message_menu", say=("envelope", MESSAGE)),
    "unknown": Go("message_menu", say=("envelope_unknown", MESSAGE)),
    "urgent_known": Go("message_menu", say=("urgent_message", "envelope", MESSAGE)),
    "urgent_unknown": Go("message_menu", say=("urgent_message", "envelope_unknown", MESSAGE)),
}

# Said when the subscriber enters the mailbox (after the code, if asked).
ENTRY = (
    Branch(
        "mailbox",
        op="away_reminder",
        answers=OnOff,
        outcomes={
            "on": Go("main", say=("away_reminder",)),
            "off": "main",
        },
    ),
)

LISTENING = (
    Branch(
        "listen",
        op="count_messages",
        answers=MessageCount,
        outcomes={
            "some": Go("message", say=("message_count",)),
            "urgent": Go("message", say=("message_count", "urgent_count")),
            "none": Go("main", say=("message_count",)),
        },
    ),
    Branch(
        "message",
        op="next_message",
        answers=NextMessage,
        outcomes={
            **PLAYED,
            "none": Go("main", say=("no_more_messages",)),
        },
    ),
    Branch(
        "message_previous",
        op="previous_message",
        answers=PreviousMessage,
        outcomes={
            **PLAYED,
            "first": Go("message_menu", say=("no_previous_message",)),
        },
    ),
    Branch(
        "message_envelope",
        op="current_message",
        answers=MessageKind,
        outcomes={
            "known": Go("message_menu", say=("envelope",)),
            "unknown": Go("message_menu", say=("envelope_unknown",)),
            "urgent_known": Go("message_menu", say=("urgent_message", "envelope")),
            "urgent_unknown": Go("message_menu", say=("urgent_message", "envelope_unknown")),
        },
    ),
    Menu(
        "message_menu",
        say=("message_options", "message_more_options"),
        back="main",
        keys={
            "1": Go("message_menu", say=(MESSAGE,)),
            "2": "message",
            "3": "message_delete",
            "4": "message_previous",
            "5": "message_envelope",
            "#": "message_menu",  # skips what is playing: the options at once
            "0": "message_menu",  # the options again
        },
    ),
    Branch(
        "message_delete",
        op="delete_message",
        answers=Deleted,
        outcomes={
            "deleted": Go("message", say=("message_deleted",)),
        },
    ),
)

GREETING = (
    Menu(
        "greeting_menu",
        say=("greeting_menu", "greeting_more_options"),
        back="customise",
        keys={
            "1": "greeting_record",
            "2": "greeting_standard",
            "3": "name_record",
            "4": "away_menu",
        },
    ),
    # The personal greeting.
    Record(
        "greeting_record",
        say=("greeting_record",),
        op="hold_greeting",
        answers=Held,
        max_seconds=GREETING_SECONDS,
        outcomes={
            "held": Go("greeting_review", say=(PENDING_GREETING,)),
        },
    ),
    Menu(
        "greeting_review",
        say=("greeting_review",),
        back="greeting_menu",
        keys={
            "1": "greeting_keep",
            "2": "greeting_record",
        },
    ),
    Branch(
        "greeting_keep",
        op="keep_greeting",
        answers=Kept,
        outcomes={
            "saved": Go("customise", say=("saved",)),
            "none": "greeting_menu",
        },
    ),
    Branch(
        "greeting_standard",
        op="standard_greeting",
        answers=Saved,
        outcomes={
            "saved": Go("customise", say=("saved",)),
        },
    ),
    # The recorded name, said in the standard greeting instead of the digits.
    Record(
        "name_record",
        say=("name_record",),
        op="hold_greeting",
        answers=Held,
        max_seconds=NAME_SECONDS,
        outcomes={
            "held": Go("name_review", say=(PENDING_GREETING,)),
        },
    ),
    Menu(
        "name_review",
        say=("name_review",),
        back="greeting_menu",
        keys={
            "1": "name_keep",
            "2": "name_record",
        },
    ),
    Branch(
        "name_keep",
        op="keep_name",
        answers=Kept,
        outcomes={
            "saved": Go("customise", say=("saved",)),
            "none": "greeting_menu",
        },
    ),
    # The away greeting: said instead of the others until the end of the day chosen.
    Branch(
        "away_menu",
        op="away_state",
        answers=OnOff,
        outcomes={
            "on": "away_on",
            "off": "away_date",
        },
    ),
    Menu(
        "away_on",
        say=("away_is_on", "away_on_options"),
        back="greeting_menu",
        keys={
            "1": "away_off",
            "2": "away_date",
        },
    ),
    Entry(
        "away_date",
        say=("away_date",),
        op="choose_away_date",
        answers=DateChosen,
        back="greeting_menu",
        outcomes={
            "ok": "away_record",
            "invalid": Go("away_date", say=("away_date_invalid",)),
        },
    ),
    Record(
        "away_record",
        say=("away_record",),
        op="hold_greeting",
        answers=Held,
        max_seconds=GREETING_SECONDS,
        outcomes={
            "held": Go("away_review", say=(PENDING_GREETING,)),
        },
    ),
    Menu(
        "away_review",
        say=("away_review",),
        back="greeting_menu",
        keys={
            "1": "away_keep",
            "2": "away_record",
        },
    ),
    Branch(
        "away_keep",
        op="keep_away",
        answers=Kept,
        outcomes={
            "saved": Go("customise", say=("away_is_on",)),
            "none": "greeting_menu",
        },
    ),
    Branch(
        "away_off",
        op="away_off",
        answers=Saved,
        outcomes={
            "saved": Go("customise", say=("saved",)),
        },
    ),
)
