"""Leaving a message: an unanswered call forwarded to a mailbox (SPEC §3).

The greeting (away while one is on, else personal if recorded, else the
standard one with the recorded name or the line number), a beep, the
recording. During the greeting `#` skips to the beep and `0` reaches the
operator (when one is configured). A caller who ends the message with `#`
may review it. The message itself is stored when the platform posts the
finished recording (ivr/deposit_steps.py): hanging up at any point sends it.
"""

from menus.flow import Branch, End, Flow, Go, Menu, Play, Record, Transfer
from menus.operations import DepositRoute, Discarded, Marked, MessageLeft, Ready, YesNo

# Keys during any greeting; silence (the greeting said to its end) goes to the beep.
DURING_GREETING = {"#": "record", "0": "operator_or_record"}

DEPOSIT = Flow.of(
    "deposit",
    root="deposit",
    exhausted="goodbye",
    not_understood="not_understood",
    nodes=(
        Branch(
            "deposit",
            op="route_deposit",
            answers=DepositRoute,
            outcomes={
                "away": "greeting_away",
                "personal": "greeting_personal",
                "name": "greeting_name",
                "standard": "greeting_standard",
                "full": "mailbox_full",
                "unknown": "unknown_line",
            },
        ),
        # The greetings: whatever is said, `#` skips it and `0` asks for a person.
        Menu(
            "greeting_away",
            say=(Play("away_url"),),
            keys=DURING_GREETING,
            silence="record",
            back="record",
        ),
        Menu(
            "greeting_personal",
            say=(Play("greeting_url"),),
            keys=DURING_GREETING,
            silence="record",
            back="record",
        ),
        Menu(
            "greeting_name",
            say=("greeting_name_before", Play("name_url"), "greeting_name_after"),
            keys=DURING_GREETING,
            silence="record",
            back="record",
        ),
        Menu(
            "greeting_standard",
            say=("standard_greeting",),
            keys=DURING_GREETING,
            silence="record",
            back="record",
        ),
        Branch(
            "operator_or_record",
            op="operator_configured",
            answers=YesNo,
            outcomes={
                "yes": "operator",
                "no": "record",  # no operator: `0` is a key like any other, the beep follows
            },
        ),
        Transfer(
            "operator",
            say=("connect_operator",),
            to="operator",
            label="deposit",
            unavailable=("goodbye",),
        ),
        # The message: `#` ends it and opens the review; silence or the time limit sends it.
        Record(
            "record",
            say=(),
            op="message_left",
            answers=MessageLeft,
            max_seconds="max_message_seconds",
            callback="recording_callback",
            outcomes={
                "left": "message_left",
                "review": "review",
                "short": Go("record", say=("message_too_short",)),
                "gave_up": Go("goodbye", say=("message_too_short",)),
            },
        ),
        Menu(
            "review",
            say=("review_options",),
            back="review",
            keys={
                "1": "message_left",
                "2": "review_listen",
                "3": "record_again",
                "4": "send_urgent",
            },
        ),
        Branch(
            "review_listen",
            op="listen_left",
            answers=Ready,
            outcomes={
                "ready": Go("review", say=(Play("left_url"),)),
            },
        ),
        Branch(
            "record_again",
            op="record_again",
            answers=Discarded,
            outcomes={
                "discarded": Go("record", say=("record_again",)),
            },
        ),
        Branch(
            "send_urgent",
            op="mark_urgent",
            answers=Marked,
            outcomes={
                "marked": Go("message_left", say=("marked_urgent",)),
            },
        ),
        End("message_left", say=("message_recorded", "goodbye")),
        End("mailbox_full", say=("mailbox_full", "goodbye")),
        End("unknown_line", say=("deposit_unknown_line", "goodbye")),
        End("goodbye", say=("goodbye",)),
    ),
)
