"""Runs Debian's python3-locust (2.12.1) for comparisons: its package ships an empty version
string, which makes parts of it refuse to work, so a version is registered first."""
import sys
import types

version = types.ModuleType("locust._version")
version.version = version.__version__ = "2.12.1"
sys.modules["locust._version"] = version

from locust.main import main  # noqa: E402

sys.argv[0] = "locust"
main()
