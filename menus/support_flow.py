"""The customer-service number: callers prove who they are by service PIN (SPEC §4.4).

Read it as a table. A caller on a provisioned line is asked for the PIN at
once; anyone else gives the customer number first. Every caller ends up
with an adviser: verified, or marked unverified (also after silence).
"""

from menus.flow import Branch, Entry, Flow, Go, Transfer
from menus.operations import Given, PinEntry, SupportRoute

SUPPORT = Flow.of(
    "support",
    root="support",
    exhausted="unverified",
    not_understood="not_understood",
    nodes=(
        # Who is calling: from a provisioned line, or from anywhere else.
        Branch(
            "support",
            op="route_support",
            answers=SupportRoute,
            outcomes={
                "own_line": "pin",
                "other": "customer_number",
            },
        ),
        # Any customer number leads on to the PIN, known or not, so none can be probed.
        Entry(
            "customer_number",
            say=("enter_customer_number",),
            op="find_customer",
            answers=Given,
            back="customer_number",
            outcomes={
                "given": "pin",
            },
        ),
        Entry(
            "pin",
            say=("enter_service_pin",),
            op="check_pin",
            answers=PinEntry,
            back="pin_back",
            outcomes={
                "verified": "verified",
                "wrong": Go("pin", say=("pin_not_valid",)),
                "failed": Go("unverified", say=("pin_not_valid",)),
                "locked": "unverified",
            },
        ),
        # `*` at the PIN: the caller's own line asks again, anyone else retypes the number.
        Branch(
            "pin_back",
            op="route_support",
            answers=SupportRoute,
            outcomes={
                "own_line": "pin",
                "other": "customer_number",
            },
        ),
        Transfer(
            "verified",
            say=("identity_confirmed", "connect_adviser"),
            to="support_desk",
            label="verified",
            unavailable=("support_unavailable",),
        ),
        Transfer(
            "unverified",
            say=("identity_not_confirmed", "connect_adviser"),
            to="support_desk",
            label="unverified",
            unavailable=("support_unavailable",),
        ),
    ),
)
