"""Leaving a message: an unanswered call forwarded to a mailbox (SPEC §3).

The greeting (personal if recorded, else the standard one reading the line
number), a beep, the recording. The message itself is stored when the
platform posts the finished recording (ivr/deposit.py).
"""

from menus.flow import Branch, End, Flow, Play, Record

DEPOSIT = Flow.of(
    "deposit",
    "deposit",
    "goodbye",
    "not_understood",
    Branch("deposit", op="route_deposit", outcomes={
        "personal": "record_after_personal",
        "standard": "record_after_standard",
        "full": "mailbox_full",
        "unknown": "unknown_line",
    }),
    Record("record_after_personal", say=(Play("greeting_url"),), op="message_left",
           max_seconds="max_message_seconds", callback="recording_callback",
           outcomes={"left": "message_left"}),
    Record("record_after_standard", say=("standard_greeting",), op="message_left",
           max_seconds="max_message_seconds", callback="recording_callback",
           outcomes={"left": "message_left"}),
    End("message_left", say=("message_recorded", "goodbye")),
    End("mailbox_full", say=("mailbox_full", "goodbye")),
    End("unknown_line", say=("deposit_unknown_line", "goodbye")),
    End("goodbye", say=("goodbye",)),
)
