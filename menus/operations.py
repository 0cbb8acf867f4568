"""What each operation named in a flow answers: its outcome type.

A node that runs an operation names it (`op=`) and its outcome type
(`answers=`), and leads somewhere for every member of that type and for
nothing else: a flow missing one, or naming one the type lacks, is refused
when it is built (menus/flow.py). The operation itself, in ivr/*_steps.py,
is annotated as returning the same type, which ivr/flows.py checks at
import and mypy checks in its body.

Where store/ decides an outcome the member is store's own: `CodeEntry.WRONG`
is `store.codes.CodeCheck.WRONG`, the word "wrong" in menus/access_flow.py.
"""

from enum import StrEnum

from store.codes import CodeCheck, Proposal
from store.greetings import Greeting
from store.pins import PinCheck

# -- The access flow (menus/access_flow.py) ------------------------------------


class AccessRoute(StrEnum):
    """Who is calling the access number."""

    HOME = "home"  # the fixed line, not asked for its code
    ASK_CODE = "ask_code"  # the fixed line, asked for its code
    LOCKED = "locked"  # the fixed line, its mailbox locked
    REMOTE = "remote"  # anyone else


class LineNamed(StrEnum):
    """A line number typed to log in remotely."""

    FOUND = "found"  # a line with a code, or an unknown number (it goes on alike)
    NO_CODE = "no_code"
    LOCKED = "locked"


class CodeEntry(StrEnum):
    """A secret code typed at a code prompt."""

    RIGHT = CodeCheck.RIGHT
    WRONG = CodeCheck.WRONG
    LOCKED = CodeCheck.LOCKED
    LENGTH = Proposal.LENGTH  # not four digits: nothing counted
    THROTTLED = "throttled"  # the third wrong code of this call, on any line
    REFUSED = "refused"  # the calling number is past its limit (store/callers.py)


class CodeMenu(StrEnum):
    """What the secret-code menu offers the caller."""

    NOT_HOME = "not_home"
    LOCKED = "locked"
    NO_CODE = "no_code"
    ASK_ON = "ask_on"
    ASK_OFF = "ask_off"


class YesNo(StrEnum):
    """The answer to a yes-or-no question about the call."""

    YES = "yes"
    NO = "no"


class NewCode(StrEnum):
    """A new secret code typed: judged, or not the caller's to set."""

    OK = Proposal.OK
    LENGTH = Proposal.LENGTH
    WEAK = Proposal.WEAK
    NOT_HOME = "not_home"


class CodeSaved(StrEnum):
    """The new secret code confirmed."""

    SAVED = "saved"
    NOT_HOME = "not_home"


class Done(StrEnum):
    """A change that cannot fail."""

    DONE = "done"


# -- The mailbox (menus/mailbox_flow.py) ---------------------------------------


class OnOff(StrEnum):
    """Whether the away greeting is on."""

    ON = "on"
    OFF = "off"


class MessageCount(StrEnum):
    """The mailbox's messages: some, some of them urgent, or none."""

    SOME = "some"
    URGENT = "urgent"
    NONE = "none"


class MessageKind(StrEnum):
    """The message being played: urgent or not, its caller known or not."""

    KNOWN = "known"
    UNKNOWN = "unknown"
    URGENT_KNOWN = "urgent_known"
    URGENT_UNKNOWN = "urgent_unknown"


class NextMessage(StrEnum):
    """The next message played, or none left."""

    KNOWN = MessageKind.KNOWN
    UNKNOWN = MessageKind.UNKNOWN
    URGENT_KNOWN = MessageKind.URGENT_KNOWN
    URGENT_UNKNOWN = MessageKind.URGENT_UNKNOWN
    NONE = "none"


class PreviousMessage(StrEnum):
    """The previous message played, or the first one is being heard."""

    KNOWN = MessageKind.KNOWN
    UNKNOWN = MessageKind.UNKNOWN
    URGENT_KNOWN = MessageKind.URGENT_KNOWN
    URGENT_UNKNOWN = MessageKind.URGENT_UNKNOWN
    FIRST = "first"


class Deleted(StrEnum):
    """The message just heard is deleted."""

    DELETED = "deleted"


class Held(StrEnum):
    """A recording is held in the call until kept."""

    HELD = "held"


class Kept(StrEnum):
    """The recording held is kept, or there was none."""

    SAVED = "saved"
    NONE = "none"


class Saved(StrEnum):
    """A setting is saved."""

    SAVED = "saved"


class DateChosen(StrEnum):
    """The last away day typed."""

    OK = "ok"
    INVALID = "invalid"


# -- Leaving a message (menus/deposit_flow.py) ---------------------------------


class DepositRoute(StrEnum):
    """The greeting a caller hears, or why no message can be left."""

    AWAY = Greeting.AWAY
    PERSONAL = Greeting.PERSONAL
    NAME = Greeting.NAME
    STANDARD = Greeting.STANDARD
    FULL = "full"
    UNKNOWN = "unknown"


class MessageLeft(StrEnum):
    """A recording finished: sent, to review, too short, or too short too often."""

    LEFT = "left"
    REVIEW = "review"
    SHORT = "short"
    GAVE_UP = "gave_up"


class Ready(StrEnum):
    """The recording just made is ready to play."""

    READY = "ready"


class Discarded(StrEnum):
    """The recording just made is forgotten."""

    DISCARDED = "discarded"


class Marked(StrEnum):
    """The recording just made is marked urgent."""

    MARKED = "marked"


# -- The customer-service number (menus/support_flow.py) -----------------------


class SupportRoute(StrEnum):
    """Whether the caller calls from their own line."""

    OWN_LINE = "own_line"
    OTHER = "other"


class Given(StrEnum):
    """A customer number typed, known or not (both go on alike)."""

    GIVEN = "given"


class PinEntry(StrEnum):
    """A service PIN typed: verified, wrong, wrong the third time, or locked."""

    VERIFIED = "verified"  # by the permanent or a temporary PIN
    WRONG = PinCheck.WRONG
    FAILED = "failed"  # the third wrong PIN of this call
    LOCKED = PinCheck.LOCKED
