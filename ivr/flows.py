"""Every phone flow, by the name stored with each call: its declaration (menus/)
beside the operations and destinations that run it (the blueprints' modules)."""

from collections.abc import Mapping

from ivr import access, deposit, support
from ivr.steps import PhoneFlow
from menus.access import ACCESS
from menus.deposit import DEPOSIT
from menus.support import SUPPORT

FLOWS: Mapping[str, PhoneFlow] = {
    ACCESS.name: PhoneFlow(ACCESS, access.OPERATIONS, verified=access.VERIFIED),
    DEPOSIT.name: PhoneFlow(DEPOSIT, deposit.OPERATIONS, deposit.DESTINATIONS),
    SUPPORT.name: PhoneFlow(SUPPORT, support.OPERATIONS, support.DESTINATIONS),
}
