"""HTTPS for the emulator: a local certificate authority and a certificate it signed for
127.0.0.1 and localhost, made once into a folder and reused, so the CA bundle a console
was told to trust (CODEENGINE_CA_BUNDLE) stays valid across restarts."""

import ssl
from pathlib import Path

import trustme

CA_FILE = "emulator-ca.pem"
SERVER_FILE = "emulator-server.pem"


def emulator_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """(the emulator's server context, the CA bundle that trusts it)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, server_path = directory / CA_FILE, directory / SERVER_FILE
    if not (ca_path.exists() and server_path.exists()):
        authority = trustme.CA(organization_name="Code Engine Console emulator")
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        certificate.private_key_and_cert_chain_pem.write_to_path(str(server_path))
        authority.cert_pem.write_to_path(str(ca_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(server_path))
    return context, ca_path
