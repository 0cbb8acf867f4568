"""The mailbox seen by its subscriber: listening and the greeting (SPEC §3.1).

These nodes are part of the access flow (menus/access.py), entered from the
main menu (`1`) and the customise menu (`1`), at home or remotely.
"""

from menus.flow import Branch, Go, Menu, Play, Record

# Call values holding the recording being played.
MESSAGE = Play("message_url")
PENDING_GREETING = Play("pending_greeting_url")
GREETING_SECONDS = 60

LISTENING = (
    Branch("listen", op="count_messages", outcomes={
        "some": Go("message", say=("message_count",)),
        "none": Go("main", say=("message_count",)),
    }),
    Branch("message", op="next_message", outcomes={
        "known": Go("message_menu", say=("envelope", MESSAGE)),
        "unknown": Go("message_menu", say=("envelope_unknown", MESSAGE)),
        "none": Go("main", say=("no_more_messages",)),
    }),
    Menu("message_menu", say=("message_options",), back="main", keys={
        "1": Go("message_menu", say=(MESSAGE,)),
        "2": "message",
        "3": "message_delete",
    }),
    Branch("message_delete", op="delete_message", outcomes={
        "deleted": Go("message", say=("message_deleted",)),
    }),
)

GREETING = (
    Menu("greeting_menu", say=("greeting_menu",), back="customise", keys={
        "1": "greeting_record",
        "2": "greeting_standard",
    }),
    Record("greeting_record", say=("greeting_record",), op="hold_greeting",
           max_seconds=GREETING_SECONDS, outcomes={
               "held": Go("greeting_review", say=(PENDING_GREETING,)),
           }),
    Menu("greeting_review", say=("greeting_review",), back="greeting_menu", keys={
        "1": "greeting_keep",
        "2": "greeting_record",
    }),
    Branch("greeting_keep", op="keep_greeting", outcomes={
        "saved": Go("customise", say=("saved",)),
        "none": "greeting_menu",
    }),
    Branch("greeting_standard", op="standard_greeting", outcomes={
        "saved": Go("customise", say=("saved",)),
    }),
)
