from homeassistant.core import HomeAssistant
from homeassistant.config_entries import ConfigEntryState

async def test_setup(hass: HomeAssistant, entry, sim_socket) -> None:
    assert entry.state is ConfigEntryState.LOADED
    print(hass.states.async_all())
    await hass.services.async_call("switch", "turn_on", {"entity_id": "switch.desk_lamp"}, blocking=True)
    assert sim_socket.state is True
