"""The voicemail access number: subscribers at home and remotely (SPEC §3.1).

Read it as a table: each node, what it says, the keys it takes and where
they lead. Operations (in quotes after `op=`) are run by the web layer and
answer with one of the outcomes of the type after `answers=`
(menus/operations.py), each listed beside them. "throttled" is the
third wrong code of one call, across whatever lines it named: it ends the
call with the lock's own words; so does "refused", a calling number past its
limit across calls (store/callers.py).
"""

from menus.flow import Branch, End, Entry, Flow, Go, Menu
from menus.mailbox_flow import ENTRY, GREETING, LISTENING
from menus.operations import (
    AccessRoute,
    CodeEntry,
    CodeMenu,
    CodeSaved,
    Done,
    LineNamed,
    NewCode,
    YesNo,
)


def code_prompt(name: str, *, back: str, right: str) -> Entry:
    """Asks for the secret code at `name`: a right one leads to `right`, `*` to `back`.

    A wrong one or one of the wrong length asks again; a lock, the third
    wrong code of the call, or a calling number past its limit ends the call.
    """
    return Entry(
        name,
        say=("enter_code",),
        op="check_code",
        answers=CodeEntry,
        back=back,
        outcomes={
            "right": right,
            "wrong": Go(name, say=("wrong_code",)),
            "length": Go(name, say=("code_length",)),
            "locked": "locked",
            "throttled": "locked",
            "refused": "locked",
        },
    )


ACCESS = Flow.of(
    "access",
    root="access",
    exhausted="goodbye",
    not_understood="not_understood",
    nodes=(
        # Who is calling: the fixed line (asked for the code or not) or anyone else.
        Branch(
            "access",
            op="route_access",
            answers=AccessRoute,
            outcomes={
                "home": "mailbox",
                "ask_code": "home_login",
                "locked": "locked",
                "remote": "remote_line",
            },
        ),
        code_prompt("home_login", back="home_login", right="mailbox"),
        Entry(
            "remote_line",
            say=("enter_line",),
            op="find_line",
            answers=LineNamed,
            back="remote_line",
            outcomes={
                "found": "remote_login",
                "no_code": "remote_no_code",
                "locked": "locked",
            },
        ),
        code_prompt("remote_login", back="remote_line", right="mailbox"),
        # The mailbox.
        *ENTRY,
        Menu(
            "main",
            say=("main_menu",),
            back="main",
            keys={
                "1": "listen",
                "2": "customise",
            },
        ),
        Menu(
            "customise",
            say=("customise_menu",),
            back="main",
            keys={
                "1": "greeting_menu",
                "2": "code_menu",
            },
        ),
        *LISTENING,
        *GREETING,
        # The secret code: only the fixed line may create or change it.
        Branch(
            "code_menu",
            op="code_menu",
            answers=CodeMenu,
            outcomes={
                "not_home": Go("customise", say=("fixed_line_only",)),
                "locked": Go("customise", say=("locked",)),
                "no_code": "code_none",
                "ask_on": "code_set_asked",
                "ask_off": "code_set_not_asked",
            },
        ),
        Menu(
            "code_none",
            say=("no_code_yet", "create_code"),
            back="customise",
            keys={
                "1": "code_entry",
            },
        ),
        Menu(
            "code_set_asked",
            say=("code_active", "ask_is_on"),
            back="customise",
            keys={
                "1": "code_change",
                "2": "ask_toggle",
            },
        ),
        Menu(
            "code_set_not_asked",
            say=("code_active", "ask_is_off"),
            back="customise",
            keys={
                "1": "code_change",
                "2": "ask_toggle",
            },
        ),
        # Changing an existing code needs the current one, entered in this call.
        Branch(
            "code_change",
            op="code_entered",
            answers=YesNo,
            outcomes={
                "yes": "code_entry",
                "no": "code_current",
            },
        ),
        code_prompt("code_current", back="code_menu", right="code_entry"),
        Entry(
            "code_entry",
            say=("choose_code",),
            op="propose_code",
            answers=NewCode,
            back="code_menu",
            outcomes={
                "ok": "code_readback",
                "length": Go("code_entry", say=("code_length",)),
                "weak": Go("code_entry", say=("code_weak",)),
                "not_home": Go("customise", say=("fixed_line_only",)),
            },
        ),
        Menu(
            "code_readback",
            say=("code_readback",),
            back="code_menu",
            keys={
                "1": "code_save",
                "2": "code_entry",
            },
        ),
        Branch(
            "code_save",
            op="save_code",
            answers=CodeSaved,
            outcomes={
                "saved": Go("customise", say=("saved",)),
                "not_home": Go("customise", say=("fixed_line_only",)),
            },
        ),
        Branch(
            "ask_toggle",
            op="toggle_ask",
            answers=Done,
            outcomes={
                "done": Go("code_menu", say=("saved",)),
            },
        ),
        End("remote_no_code", say=("remote_needs_code", "goodbye")),
        End("locked", say=("locked",)),
        End("goodbye", say=("goodbye",)),
    ),
)
