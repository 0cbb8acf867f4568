"""Every call flow, by the name stored with each call."""

from collections.abc import Mapping

from menus.access import ACCESS
from menus.deposit import DEPOSIT
from menus.flow import Flow
from menus.support import SUPPORT

FLOWS: Mapping[str, Flow] = {flow.name: flow for flow in (ACCESS, DEPOSIT, SUPPORT)}
