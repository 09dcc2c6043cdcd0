"""Constants of the Orvibo S20 integration."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final

DOMAIN: Final = "orvibo_s20"
MANUFACTURER: Final = "Orvibo"
MODEL: Final = "S20"
MODEL_ALLONE: Final = "AllOne"

# Config entry data (CONF_HOST comes from homeassistant.const).
CONF_MAC: Final = "mac"
# Which kind of device the entry is (DeviceFamily's value); entries made before AllOnes: a socket.
CONF_FAMILY: Final = "family"

# The optional `orvibo_s20:` YAML block: network settings for unusual LANs, tests and the demo.
CONF_BIND_ADDRESS: Final = "bind_address"
CONF_REMOTE_PORT: Final = "remote_port"
CONF_BROADCAST_ADDRESSES: Final = "broadcast_addresses"
CONF_BROADCAST_LISTEN_ADDRESS: Final = "broadcast_listen_address"
CONF_REUSE_ADDRESS: Final = "reuse_address"
# Tests only: a shorter backstop poll.
CONF_POLL_INTERVAL: Final = "poll_interval"
CONF_WIFI_MODULE_ADDRESS: Final = "wifi_module_address"
CONF_WIFI_AT_PORT: Final = "wifi_at_port"
CONF_SMARTLINK_PORT: Final = "smartlink_port"
CONF_SMARTLINK_BROADCAST_ADDRESS: Final = "smartlink_broadcast_address"
# The relay on loopback for other programs on this host (the CLI, Node-RED): on, and its port.
CONF_RELAY: Final = "relay"
CONF_RELAY_PORT: Final = "relay_port"
DEFAULT_BIND_ADDRESS: Final = "0.0.0.0"
DEFAULT_PORT: Final = 10000

# The backstop poll: the running countdown (and now and then table 4). The relay's state and
# the socket's availability are the client's keepalive's (a `cl` every 10 s, client.py).
POLL_INTERVAL: Final = timedelta(seconds=60)
# Table 4 (name, auto-off, lock) changes rarely and only by someone else's hand: re-read it
# every this many polls.
SOCKET_DATA_EVERY_POLLS: Final = 10
# Background scan for new sockets and moved ones (wiz uses 15 minutes too).
DEFAULT_SCAN_INTERVAL: Final = timedelta(minutes=15)
# When the socket's clock and time zone are set again each day: after any DST change.
CLOCK_SYNC_AT: Final = (3, 0, 30)
# The most timers Home Assistant stores on one socket. No source gives the socket's own limit
# (PROTOCOL.md §7 q3): table 3 is read in one datagram, and 48 records of 30 bytes after the
# 28-byte reply header fill one unfragmented 1472-byte UDP payload on a 1500-byte Wi-Fi MTU.
MAX_TIMERS: Final = 48
# A change nobody here asked for is the socket's timer or countdown when one was due this close
# to it: the push comes at once, or with the keepalive's next answer (every 10 s) if both were lost.
TIMER_EVENT_SLACK: Final = timedelta(seconds=15)
# Auto-off switched on while the socket stores no duration yet.
DEFAULT_AUTO_OFF_S: Final = 3600

# Timer and countdown actions, and the service fields.
ACTION_ON: Final = "on"
ACTION_OFF: Final = "off"
ATTR_ACTION: Final = "action"
ATTR_DATE: Final = "date"
ATTR_DURATION: Final = "duration"
ATTR_ID: Final = "id"
ATTR_NAME: Final = "name"
ATTR_TIME: Final = "time"
ATTR_TIMERS: Final = "timers"
ATTR_WEEKDAYS: Final = "weekdays"

SERVICE_ADD_TIMER: Final = "add_timer"
SERVICE_CANCEL_COUNTDOWN: Final = "cancel_countdown"
SERVICE_CLEAR_TIMERS: Final = "clear_timers"
SERVICE_GET_TIMERS: Final = "get_timers"
SERVICE_REMOVE_TIMER: Final = "remove_timer"
SERVICE_RENAME: Final = "rename"
SERVICE_START_COUNTDOWN: Final = "start_countdown"

ISSUE_PORT_IN_USE: Final = "port_in_use"
# Core `orvibo` has sockets to move here; its YAML switches stay after the move; no LAN reach.
ISSUE_CORE_MOVE: Final = "core_orvibo_move"
ISSUE_CORE_YAML_LEFT: Final = "core_orvibo_yaml_left"
ISSUE_NO_LAN: Final = "no_lan"  # translated as one of these two
ISSUE_CONTAINER_NETWORK: Final = "container_network"
ISSUE_NO_BROADCAST: Final = "no_broadcast"

# The AllOne's learned codes: one store per entry, by device then command name (as Broadlink).
COMMAND_STORAGE_VERSION: Final = 1
# How long remote.learn_command waits for each code by default (HA's remote gives none).
DEFAULT_LEARN_TIMEOUT: Final = timedelta(seconds=30)
# Diagnostics show a learned code's bytes only when it is this short.
DIAGNOSTICS_CODE_BYTES: Final = 16


class DeviceEvent(StrEnum):
    """Why the relay changed when Home Assistant did not ask (the event entity's types).

    The `sf` push carries no cause (PROTOCOL.md §3.5) and another controller's `dc` is acked to
    it alone, so a press of the socket's button and a switch by an app elsewhere look the same:
    both are `button` (see the README). A program on this host that switches through the
    integration's relay is known: `other_controller`.
    """

    BUTTON = "button"
    TIMER = "timer"
    OTHER_CONTROLLER = "other_controller"
