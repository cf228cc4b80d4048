"""The same call as a run, to paste into a terminal or a script; never with the token."""

from codeengine_ui.domo.client import DEFAULT_TIMEOUT_SECONDS, RUN_PATH, TOKEN_HEADER, run_body
from codeengine_ui.json_text import deeper_than, indented, one_line

from .models import Execution

TOKEN_VARIABLE = "DOMO_DEVELOPER_TOKEN"
# Python refuses source nested 200 brackets deep: a deeper body goes in as JSON text.
_PYTHON_NESTING_LIMIT = 100


def _url(execution: Execution) -> str:
    base = (
        execution.instance.base_url
        if execution.instance
        else (f"https://{execution.instance_name}.domo.com")
    )
    return base + RUN_PATH.format(
        package_id=execution.package_id,
        version=execution.version,
        function_name=execution.function_name,
    )


def _body(execution: Execution) -> dict:
    return run_body(execution.input_variables, get_logs=execution.get_logs)


def curl_snippet(execution: Execution) -> str:
    body = indented(_body(execution))
    return (
        f"curl -sS -X POST '{_url(execution)}' \\\n"
        f'  -H "{TOKEN_HEADER}: ${TOKEN_VARIABLE}" \\\n'
        "  -H 'Content-Type: application/json' \\\n"
        f"  --max-time {DEFAULT_TIMEOUT_SECONDS:g} \\\n"
        "  --data-binary @- <<'JSON'\n"
        f"{body}\nJSON"
    )


def httpx_snippet(execution: Execution) -> str:
    body = _body(execution)
    if deeper_than(body, _PYTHON_NESTING_LIMIT):
        imports = "import json\nimport os\n\nimport httpx\n\n"
        body_text = f"json.loads(\n        {one_line(body)!r}\n    )"
    else:
        imports = "import os\n\nimport httpx\n\n"
        body_text = indented(body, python=True).replace("\n", "\n    ")
    return (
        f"{imports}"
        "response = httpx.post(\n"
        f'    "{_url(execution)}",\n'
        f'    headers={{"{TOKEN_HEADER}": os.environ["{TOKEN_VARIABLE}"]}},\n'
        f"    json={body_text},\n"
        f"    timeout={DEFAULT_TIMEOUT_SECONDS:g},\n"
        ")\n"
        "response.raise_for_status()\n"
        "execution = response.json()  # a FAILED function is HTTP 200 too: check the status\n"
        'print(execution["status"], execution.get("result"))\n'
    )
