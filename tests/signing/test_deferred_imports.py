"""`defer_pyhanko_sign_init`: the verifier imports pyhanko.sign's submodules without its
`__init__`, and whoever asks for a name the package re-exports still gets pyHanko's own."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_the_verifier_does_not_run_the_package_init() -> None:
    output = _run(
        "import sys\n"
        "import signing.verification\n"
        "print(sorted(m for m in ('aiohttp', 'pyhanko.sign.signers') if m in sys.modules))\n"
        "print('pyhanko.sign.validation' in sys.modules)\n"
    )
    assert output.splitlines() == ["[]", "True"]


def test_a_re_exported_name_runs_the_real_init_once() -> None:
    output = _run(
        "import sys\n"
        "import signing.verification\n"
        "from pyhanko.sign import PdfSigner, signers\n"
        "import pyhanko.sign as package\n"
        "from pyhanko.sign.signers.pdf_signer import PdfSigner as Defined\n"
        "print(PdfSigner is Defined, package.sign_pdf is signers.sign_pdf)\n"
        "print(type(package).__name__, package is sys.modules['pyhanko.sign'])\n"
        "print(hasattr(package, 'no_such_name'))\n"
    )
    assert output.splitlines() == ["True True", "module True", "False"]


def test_a_submodule_import_does_not_run_the_init() -> None:
    output = _run(
        "import sys\n"
        "import signing.verification\n"
        "from pyhanko.sign import fields\n"
        "import pyhanko.sign.diff_analysis\n"
        "print(fields.__name__, 'pyhanko.sign.signers' in sys.modules)\n"
    )
    assert output.splitlines() == ["pyhanko.sign.fields False"]


def test_nothing_changes_when_pyhanko_sign_is_already_imported() -> None:
    output = _run(
        "import sys\n"
        "import pyhanko.sign\n"
        "before = sys.modules['pyhanko.sign']\n"
        "import signing.verification\n"
        "print(sys.modules['pyhanko.sign'] is before, type(before).__name__)\n"
    )
    assert output.splitlines() == ["True module"]
