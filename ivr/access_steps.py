"""Operations of the access flow (menus/access_flow.py): thin calls into store/."""

from __future__ import annotations

from ivr import mailbox_steps
from ivr.observability import note
from ivr.steps import StepContext
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
from store import callers, codes, lines
from store.lines import InvalidNumber, to_e164
from store.models import Line

# The call remembers the key under which strikes on an unknown line number
# are counted (store.codes.phantom_key), so a probe hears, across calls,
# exactly what a wrong code on a real line gives.
PHANTOM = "phantom"
# Wrong codes entered in this call, on any line (real or unknown).
WRONG_CODES = "wrong_codes"


def _line(c: StepContext) -> Line | None:
    return c.call.line


def _locked(c: StepContext, line: Line) -> bool:
    return codes.is_locked(line.mailbox, c.now, c.settings["IVR_LOCKOUT_SECONDS"])


def route_access(c: StepContext, _digits: str | None) -> AccessRoute:
    """Home line (asked for the code or not, or locked), or remote."""
    line = _line(c)
    if not c.call.home or line is None:
        return AccessRoute.REMOTE
    mailbox = line.mailbox
    if mailbox.has_code and mailbox.ask_code_on_fixed_line:
        return AccessRoute.LOCKED if _locked(c, line) else AccessRoute.ASK_CODE
    return AccessRoute.HOME


def find_line(c: StepContext, digits: str | None) -> LineNamed:
    """Remote login: remember the line named; an unknown one goes on like a real one."""
    typed = digits or ""
    try:
        typed = to_e164(typed, c.settings["IVR_DEFAULT_REGION"])
        line = lines.find_line(c.session, typed)
    except InvalidNumber:
        line = None
    c.call.line_id = line.id if line else None
    c.session.flush()
    c.session.refresh(c.call, ["line"])
    c.memory.pop("code_entered", None)
    c.memory.pop(PHANTOM, None)
    if line is None:
        key = codes.phantom_key(c.hasher, typed)
        c.memory[PHANTOM] = key
        locked = codes.phantom_locked(c.session, key, c.now, c.settings["IVR_LOCKOUT_SECONDS"])
        return LineNamed.LOCKED if locked else LineNamed.FOUND
    if _locked(c, line):
        return LineNamed.LOCKED
    if not line.mailbox.has_code:
        return LineNamed.NO_CODE
    return LineNamed.FOUND


def check_code(c: StepContext, digits: str | None) -> CodeEntry:
    """Check the current code (a strike first); right, wrong, length, locked, throttled, refused.

    Wrong codes are also counted per call, whatever lines it named: the
    third ends the call with the lock's words ("throttled"), so `*` back
    to the line-number prompt cannot spray codes across lines. A calling
    number past its limit (store/callers.py) is "refused" the same way,
    before any strike or bcrypt check.
    """
    digits = digits or ""
    if len(digits) != codes.CODE_LENGTH:
        return CodeEntry.LENGTH
    line = _line(c)
    caller = _take_caller_attempt(c)
    if caller is None:
        return CodeEntry.REFUSED
    outcome = _check(c, line, digits)
    if outcome is codes.CodeCheck.RIGHT and line is not None:
        callers.give_back(c.session, caller)
        c.memory["code_entered"] = True
        c.call.language = line.language
    if outcome is codes.CodeCheck.WRONG:
        c.memory[WRONG_CODES] = wrong = c.memory.get(WRONG_CODES, 0) + 1
        if wrong >= codes.MAX_STRIKES:
            note(throttled="call")
            return CodeEntry.THROTTLED
    return CodeEntry(outcome)


def _check(c: StepContext, line: Line | None, digits: str) -> codes.CodeCheck:
    lockout = c.settings["IVR_LOCKOUT_SECONDS"]
    if line is None:
        key = c.memory.get(PHANTOM) or codes.phantom_key(c.hasher, "")
        return codes.check_unknown_line(c.session, c.hasher, key, digits, c.now, lockout)
    return codes.check_code(c.session, c.hasher, line, digits, c.now, lockout, caller=c.call.caller)


def _take_caller_attempt(c: StepContext) -> str | None:
    """Count the attempt against the calling number: its key, or None when throttled.

    Refused before any strike on the line or any bcrypt check.
    """
    withheld = callers.is_withheld(c.call.caller)
    key = callers.caller_key(c.hasher, c.call.caller)
    limit = c.settings["IVR_WITHHELD_MAX_CODES" if withheld else "IVR_CALLER_MAX_CODES"]
    if callers.take_attempt(c.session, key, limit, c.now, c.settings["IVR_CALLER_WINDOW_SECONDS"]):
        return key
    callers.refuse(c.session, key, withheld, limit, c.now)
    note(throttled="withheld" if withheld else "caller")
    return None


def code_menu(c: StepContext, _digits: str | None) -> CodeMenu:
    """What the secret-code menu offers this caller."""
    line = _line(c)
    if not c.call.home or line is None:
        return CodeMenu.NOT_HOME
    if line.mailbox.has_code and _locked(c, line):
        return CodeMenu.LOCKED
    if not line.mailbox.has_code:
        return CodeMenu.NO_CODE
    return CodeMenu.ASK_ON if line.mailbox.ask_code_on_fixed_line else CodeMenu.ASK_OFF


def code_entered(c: StepContext, _digits: str | None) -> YesNo:
    """Whether the current code was entered right in this call."""
    return YesNo.YES if c.memory.get("code_entered") else YesNo.NO


def _may_set_code(c: StepContext, line: Line | None) -> bool:
    """Only the fixed line sets a code, and a change needs the current one (SPEC §4.1)."""
    if not c.call.home or line is None:
        return False
    return not line.mailbox.has_code or bool(c.memory.get("code_entered"))


def propose_code(c: StepContext, digits: str | None) -> NewCode:
    """Judge a new code; keep it in the call until confirmed."""
    line = _line(c)
    if not _may_set_code(c, line):
        return NewCode.NOT_HOME
    assert line is not None
    outcome = codes.propose_code(c.hasher, line, digits or "")
    if outcome is codes.Proposal.OK:
        c.memory["pending_code"] = digits
    return NewCode(outcome)


def save_code(c: StepContext, _digits: str | None) -> CodeSaved:
    """Store the code read back and confirmed."""
    line = _line(c)
    pending = c.memory.pop("pending_code", None)
    if not _may_set_code(c, line) or not pending:
        return CodeSaved.NOT_HOME
    assert line is not None
    codes.save_code(c.session, c.hasher, line, pending, c.now)
    c.memory["code_entered"] = True
    return CodeSaved.SAVED


def toggle_ask(c: StepContext, _digits: str | None) -> Done:
    """Turn "ask for my code on my fixed line" the other way."""
    line = _line(c)
    assert line is not None
    assert c.call.home
    codes.set_ask_on_fixed_line(line, not line.mailbox.ask_code_on_fixed_line)
    return Done.DONE


# Operations that check a code: each waits for a verifier before the step is
# taken or anything counted (ivr/steps.py), and gives up in time if none frees.
VERIFIED = frozenset({"check_code"})

OPERATIONS = {
    "route_access": route_access,
    "find_line": find_line,
    "check_code": check_code,  # waits for a verifier first (VERIFIED)
    "code_menu": code_menu,
    "code_entered": code_entered,
    "propose_code": propose_code,
    "save_code": save_code,
    "toggle_ask": toggle_ask,
    # Listening and the greeting (menus/mailbox_flow.py)
    **mailbox_steps.OPERATIONS,
}
