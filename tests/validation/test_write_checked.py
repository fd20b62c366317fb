import copy

import pytest
from validation_samples import JSON_EXAMPLES, example, example_data

from chorus_connect.invoice import Invoice, OutputFormat, write_invoice
from chorus_connect.invoice.facturx import extract_xml
from chorus_connect.validation import CheckOptions, check_invoice, write_checked, write_checked_many


@pytest.mark.parametrize("target", list(OutputFormat))
def test_checked_output_is_what_write_invoice_writes_and_check_invoice_reports(target):
    invoice = example("goods.json")
    result = write_checked(invoice, CheckOptions(target=target))
    assert result.output is not None and result.report.ok
    assert result.output.data == write_invoice(invoice, target).data
    checked = check_invoice(invoice, CheckOptions(target=target)).as_dict()
    if target is OutputFormat.FACTURX:
        # The PDF only exists once written: its file rules (size, container, XML read back) come on top.
        checked["layers_run"].append("file")
    assert result.report.as_dict() == checked


def test_an_invoice_with_errors_is_not_written_unless_forced():
    data = copy.deepcopy(example_data("services.json"))
    data["service_code"] = "SERVICE/INFO"
    invoice = Invoice.model_validate(data)
    refused = write_checked(invoice)
    assert refused.output is None and "CPRO-SRV-01" in refused.report.rule_ids()
    forced = write_checked(invoice, force=True)
    assert forced.output is not None and extract_xml(forced.output.data).count(b"SERVICE/INFO") == 1


def test_a_batch_gives_the_same_results_as_one_invoice_at_a_time():
    broken = copy.deepcopy(example_data("services.json"))
    broken["payment_means"] = None
    invoices = [example(name) for name in JSON_EXAMPLES] + [Invoice.model_validate(broken)]
    batch = write_checked_many(invoices)
    single = [write_checked(invoice) for invoice in invoices]
    assert [r.report.as_dict() for r in batch] == [r.report.as_dict() for r in single]
    assert [r.output and r.output.data for r in batch] == [r.output and r.output.data for r in single]
    assert batch[-1].output is None and "CPRO-PAY-01" in batch[-1].report.rule_ids()
