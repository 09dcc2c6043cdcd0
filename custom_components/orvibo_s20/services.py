"""Entity services of a socket: its stored name, countdown and timers.

They target the socket's switches. Home Assistant 2025.10 added
`service.async_register_platform_entity_service`, called from `async_setup`; older versions
register entity services from the platform. This module is the only place that tells the two
apart.

Every input is checked before anything is sent: a mistake raises a translated
`ServiceValidationError` and leaves the socket untouched; a socket that does not answer
raises a translated `HomeAssistantError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any

from homeassistant.const import WEEKDAYS, Platform
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_platform, service
from homeassistant.helpers.typing import VolDictType
from homeassistant.util import dt as dt_util

from .const import (
    ACTION_OFF,
    ACTION_ON,
    ATTR_ACTION,
    ATTR_DATE,
    ATTR_DURATION,
    ATTR_ID,
    ATTR_NAME,
    ATTR_TIME,
    ATTR_TIMERS,
    ATTR_WEEKDAYS,
    DOMAIN,
    SERVICE_ADD_TIMER,
    SERVICE_CANCEL_COUNTDOWN,
    SERVICE_CLEAR_TIMERS,
    SERVICE_GET_TIMERS,
    SERVICE_REMOVE_TIMER,
    SERVICE_RENAME,
    SERVICE_START_COUNTDOWN,
)
from .coordinator import S20Countdown
from .entity import S20Entity
from .protocol import (
    COUNTDOWN_MAX_S,
    NAME_LENGTH,
    EncodeError,
    PowerState,
    S20ConnectionError,
    Timer,
    Weekday,
    encode_name,
)
from .schema import vol

_WEEKDAYS: dict[str, Weekday] = dict(zip(WEEKDAYS, Weekday, strict=True))  # mon … sun
_ACTIONS = vol.In([ACTION_ON, ACTION_OFF])

type _Handler = Callable[[S20Entity, ServiceCall], Awaitable[ServiceResponse]]


def _validation_error(key: str, **placeholders: object) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={k: str(v) for k, v in placeholders.items()},
    )


def _socket_errors(func: _Handler) -> Callable[[S20Entity, ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Turn library errors of a service into translated Home Assistant errors."""

    @wraps(func)
    async def handler(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
        try:
            return await func(entity, call)
        except EncodeError as err:
            raise _validation_error("invalid_value", error=err) from err
        except S20ConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"name": entity.coordinator.device_name, "error": str(err)},
            ) from err

    return handler


# --- the stored name ---------------------------------------------------------------------------


@_socket_errors
async def _async_rename(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
    name = call.data[ATTR_NAME].strip()
    try:
        encode_name(name or None)
    except EncodeError as err:
        raise _validation_error("invalid_name", name=name, length=NAME_LENGTH) from err
    # The device's name follows through the coordinator (a name the user gave it still wins).
    await entity.coordinator.client.rename(name)
    return None


# --- countdown ---------------------------------------------------------------------------------


@_socket_errors
async def _async_start_countdown(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
    duration: timedelta = call.data[ATTR_DURATION]
    seconds = duration.total_seconds()
    if not 1 <= seconds <= COUNTDOWN_MAX_S or seconds != int(seconds):
        raise _validation_error("invalid_duration", duration=duration, max=COUNTDOWN_MAX_S)
    action = call.data[ATTR_ACTION] == ACTION_ON
    coordinator = entity.coordinator
    await coordinator.client.start_countdown(int(seconds), action)
    coordinator.async_set_countdown(S20Countdown(action=action, ends_at=dt_util.utcnow() + duration))
    return None


@_socket_errors
async def _async_cancel_countdown(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
    coordinator = entity.coordinator
    await coordinator.client.cancel_countdown()
    coordinator.async_set_countdown(None)
    return None


# --- timers ------------------------------------------------------------------------------------


def _timer_from_call(data: dict[str, Any]) -> Timer:
    """Build the timer asked for, or raise a translated ServiceValidationError."""
    at: time = data[ATTR_TIME]
    action = PowerState.ON if data[ATTR_ACTION] == ACTION_ON else PowerState.OFF
    weekdays: list[str] = data.get(ATTR_WEEKDAYS) or []
    day_text: str | None = data.get(ATTR_DATE)
    if weekdays and day_text:
        raise _validation_error("timer_weekdays_and_date")
    now = dt_util.now()
    if weekdays:
        days = frozenset(_WEEKDAYS[day] for day in weekdays)
        return Timer.weekly(code=0, at=at, weekdays=days, action=action, today=now.date())
    if not day_text:
        raise _validation_error("timer_needs_day")
    day = _parse_date(day_text)
    if datetime.combine(day, at, tzinfo=now.tzinfo) <= now:
        raise _validation_error("timer_in_past", date=day, time=at)
    return Timer.once(code=0, at=at, on=day, action=action)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise _validation_error("invalid_date", date=text) from err


def _timer_dict(timer: Timer) -> dict[str, Any]:
    names = {day: name for name, day in _WEEKDAYS.items()}
    day = timer.date
    return {
        ATTR_ID: timer.code,
        ATTR_ACTION: ACTION_ON if timer.action is PowerState.ON else ACTION_OFF,
        ATTR_TIME: timer.at.isoformat(),
        ATTR_WEEKDAYS: [names[d] for d in sorted(timer.weekdays)],
        ATTR_DATE: day.isoformat() if day else None,
        ATTR_NAME: timer.name,
    }


@_socket_errors
async def _async_add_timer(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
    timer = _timer_from_call(dict(call.data))
    stored = await entity.coordinator.async_add_timer(timer)
    return {ATTR_ID: stored.code}


@_socket_errors
async def _async_remove_timer(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
    code: int = call.data[ATTR_ID]
    coordinator = entity.coordinator
    if code not in {timer.code for timer in await coordinator.async_read_timers()}:
        raise _validation_error("unknown_timer", id=code)
    await coordinator.async_delete_timer(code)
    return None


@_socket_errors
async def _async_clear_timers(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
    coordinator = entity.coordinator
    for timer in await coordinator.async_read_timers():
        await coordinator.async_delete_timer(timer.code)
    return None


@_socket_errors
async def _async_get_timers(entity: S20Entity, call: ServiceCall) -> ServiceResponse:
    timers = await entity.coordinator.async_read_timers()
    return {ATTR_TIMERS: [_timer_dict(timer) for timer in timers]}


# --- registration ------------------------------------------------------------------------------

SERVICES: tuple[tuple[str, VolDictType, _Handler, SupportsResponse], ...] = (
    (SERVICE_RENAME, {vol.Required(ATTR_NAME): cv.string}, _async_rename, SupportsResponse.NONE),
    (
        SERVICE_START_COUNTDOWN,
        {
            vol.Required(ATTR_DURATION): cv.time_period,
            vol.Optional(ATTR_ACTION, default=ACTION_OFF): _ACTIONS,
        },
        _async_start_countdown,
        SupportsResponse.NONE,
    ),
    (SERVICE_CANCEL_COUNTDOWN, {}, _async_cancel_countdown, SupportsResponse.NONE),
    (
        SERVICE_ADD_TIMER,
        {
            vol.Required(ATTR_TIME): cv.time,
            vol.Optional(ATTR_WEEKDAYS): vol.All(cv.ensure_list, [vol.In(WEEKDAYS)]),
            # Checked by the handler, so that an impossible date gets a translated error.
            vol.Optional(ATTR_DATE): cv.string,
            vol.Required(ATTR_ACTION): _ACTIONS,
        },
        _async_add_timer,
        SupportsResponse.OPTIONAL,
    ),
    (
        SERVICE_REMOVE_TIMER,
        {vol.Required(ATTR_ID): vol.All(vol.Coerce(int), vol.Range(min=0, max=0xFFFF))},
        _async_remove_timer,
        SupportsResponse.NONE,
    ),
    (SERVICE_CLEAR_TIMERS, {}, _async_clear_timers, SupportsResponse.NONE),
    (SERVICE_GET_TIMERS, {}, _async_get_timers, SupportsResponse.ONLY),
)


def _has_platform_entity_services() -> bool:
    return hasattr(service, "async_register_platform_entity_service")


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the entity services from async_setup (Home Assistant 2025.10 and later)."""
    if not _has_platform_entity_services():
        return
    for name, schema, func, supports_response in SERVICES:
        service.async_register_platform_entity_service(  # type: ignore[attr-defined,unused-ignore]
            hass,
            DOMAIN,
            name,
            entity_domain=Platform.SWITCH,
            schema=schema,
            func=func,
            supports_response=supports_response,
        )


@callback
def async_setup_platform_services() -> None:
    """Register the entity services from the switch platform (before Home Assistant 2025.10)."""
    if _has_platform_entity_services():
        return
    platform = entity_platform.async_get_current_platform()
    for name, schema, func, supports_response in SERVICES:
        platform.async_register_entity_service(name, schema, func, supports_response=supports_response)
