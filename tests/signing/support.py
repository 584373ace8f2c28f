"""Test support: a publication server for test PKIs, a document to sign, and the three
independent validators (pyHanko's API, the pyhanko CLI, poppler's pdfsig)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from signing.cms_signer import asn1_certificate
from signing.pki import Pki
from signing.tsa import TimestampAuthority

REPO = Path(__file__).resolve().parents[2]
PYHANKO_CLI = Path(sys.executable).parent / "pyhanko"


def make_licence_pdf(text: str = "Business licence (specimen)") -> bytes:
    """A simple one-page A4 PDF standing in for the real licence template."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica", 18)
    page.drawString(72, 760, text)
    page.setFont("Helvetica", 11)
    page.drawString(72, 730, "Unified social credit code: 91441900MA4W000000")
    page.showPage()
    page.save()
    return buffer.getvalue()


@dataclass
class PublicationServer:
    """Serves each registered PKI the way `{public_base_url}/pki/...` promises, plus its TSA.

    A PKI registered under `name` has the base URL `{server.url}/{name}`.
    """

    httpd: ThreadingHTTPServer
    pkis: dict[str, Pki] = field(default_factory=dict)
    authorities: dict[str, TimestampAuthority] = field(default_factory=dict)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def base_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    def register(self, name: str, pki: Pki) -> None:
        self.pkis[name] = pki
        self.authorities[name] = TimestampAuthority(pki.tsa_certificate, pki.tsa_key(), pki.chain)


def start_publication_server() -> PublicationServer:
    server: PublicationServer

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            name, _, rest = self.path.lstrip("/").partition("/")
            pki = server.pkis.get(name)
            pem = serialization.Encoding.PEM
            routes: dict[str, Any] = {}
            if pki is not None:
                routes = {
                    "pki/root.pem": lambda: (
                        "application/x-pem-file",
                        pki.root_certificate.public_bytes(pem),
                    ),
                    "pki/issuing.pem": lambda: (
                        "application/x-pem-file",
                        pki.issuing_certificate.public_bytes(pem),
                    ),
                    "pki/crl": lambda: ("application/pkix-crl", pki.current_crl_der()),
                    "pki/root-crl": lambda: ("application/pkix-crl", pki.root_crl_der()),
                }
                serial, _, suffix = rest.removeprefix("pki/ca/").partition(".")
                if rest.startswith("pki/ca/") and suffix in ("pem", "crl"):
                    try:
                        ca, crl = pki.ca(serial)
                    except LookupError:
                        pass
                    else:
                        routes[rest] = lambda: (
                            ("application/pkix-crl", crl())
                            if suffix == "crl"
                            else ("application/x-pem-file", ca.public_bytes(pem))
                        )
            route = routes.get(rest)
            if route is None:
                self._reply(404, "text/plain", b"not found")
                return
            self._reply(200, *route())

        def do_POST(self) -> None:
            name, _, rest = self.path.lstrip("/").partition("/")
            authority = server.authorities.get(name)
            if authority is None or rest != "tsa":
                self._reply(404, "text/plain", b"not found")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._reply(200, "application/timestamp-reply", authority.respond(body))

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server = PublicationServer(httpd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return server


# -- validators ------------------------------------------------------------------------------


def signature_of(pdf: bytes, index: int = 0) -> Any:
    return PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures[index]


def validate_offline(pdf: bytes, root: x509.Certificate) -> PdfSignatureStatus:
    """pyHanko's API with nothing but the trusted root and what the file embeds (the DSS):
    no network, hard-fail on revocation — what B-LT promises."""
    reader = PdfFileReader(io.BytesIO(pdf))
    dss = DocumentSecurityStore.read_dss(reader)
    context = dss.as_validation_context(
        {
            "trust_roots": [asn1_certificate(root)],
            "allow_fetching": False,
            "revocation_mode": "hard-fail",
        }
    )
    return validate_pdf_signature(reader.embedded_regular_signatures[0], context)


def validate_with_crls(pdf: bytes, root: x509.Certificate, crls: list[bytes]) -> PdfSignatureStatus:
    """pyHanko's API with the root and the given (current) CRLs, hard-fail, no network."""
    context = ValidationContext(
        trust_roots=[asn1_certificate(root)],
        crls=[asn1_crl.CertificateList.load(c) for c in crls],
        allow_fetching=False,
        revocation_mode="hard-fail",
    )
    return validate_pdf_signature(signature_of(pdf), context)


def pyhanko_cli_validate(pdf_path: Path, root_pem: Path) -> subprocess.CompletedProcess[str]:
    """`pyhanko sign validate --trust root.pem --trust-replace`; it fetches CRLs from the
    certificates' distribution points (our publication server)."""
    return subprocess.run(
        [
            str(PYHANKO_CLI),
            "sign",
            "validate",
            "--trust",
            str(root_pem),
            "--trust-replace",
            "--executive-summary",
            str(pdf_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def make_nss_db(certutil: str, directory: Path, root_pem: Path) -> str:
    """An NSS database trusting only `root_pem`; returns the `sql:` spec for -nssdir."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = f"sql:{directory}"
    subprocess.run(
        [certutil, "-N", "-d", spec, "--empty-password"], check=True, capture_output=True
    )
    subprocess.run(
        [certutil, "-A", "-d", spec, "-n", "root", "-t", "CT,C,C", "-i", str(root_pem)],
        check=True,
        capture_output=True,
    )
    return spec


def pdfsig(pdfsig_path: str, nss_spec: str, pdf_path: Path) -> str:
    """pdfsig's report (its exit status is 0 whatever it finds, so callers read the text)."""
    result = subprocess.run(
        [pdfsig_path, "-nssdir", nss_spec, str(pdf_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


def write_pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
