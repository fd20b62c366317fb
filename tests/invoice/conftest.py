import pytest
from invoice_samples import example

from chorus_connect.invoice import Invoice


@pytest.fixture
def services() -> Invoice:
    return example("services.json")
