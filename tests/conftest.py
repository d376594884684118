"""Shared fixtures: every test writes under a temp folder (VT2_OUTPUT_ROOT), never into the tree."""
from __future__ import annotations

import dataclasses
import http.server
import os
import threading
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session", autouse=True)
def _output_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("vt2_output")
    os.environ["VT2_OUTPUT_ROOT"] = str(root)
    os.environ.setdefault("MPLBACKEND", "Agg")
    # one XLA compilation cache for the session's many output folders (vt2lib.jax_cache): the
    # determinism test's second smoke run compiles nothing the first one compiled
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(tmp_path_factory.mktemp("jax_compilation_cache")))
    yield root


# The longest modules on 2 cores (seconds; RESULTS.md), longest first: the demo network 250-300, the
# smoke run and its rerun ~260, the real-data notebooks ~190 (with ../shared), libFM's references
# ~210, the field walk ~180, the planted FM comparisons ~175, the towers ~110
LONGEST_FIRST = ("test_demo_embedding.py", "test_notebooks.py", "test_shared_real_data.py", "test_libfm_reference.py",
                 "test_store.py", "test_fm_gibbs.py", "test_towers.py", "test_ratings_only.py", "test_model.py")


def pytest_collection_modifyitems(items):
    """The longest modules first (LONGEST_FIRST), then the other modules that run notebooks, then
    those on ../shared data, then the rest.

    run_all.sh --tests runs the modules on pytest-xdist workers (`--dist loadscope
    --no-loadscope-reorder`: xdist's own order, most tests first, left the one-test demo module to
    run alone at the end), which take modules in this order: starting the long ones first keeps a
    worker from being left with one at the end while the others idle. The order within a module is kept."""
    longest = {name: k for k, name in enumerate(LONGEST_FIRST)}
    rank: dict = {}  # module file -> its most urgent test's rank by marker
    for item in items:
        markers = {m.name for m in item.iter_markers()}
        own = 0 if "notebooks" in markers else 1 if "shared" in markers else 2
        rank[item.path] = min(rank.get(item.path, 2), own)
    # stable: collection order within each rank
    items.sort(key=lambda item: (longest.get(item.path.name, len(longest)), rank[item.path]))


# Keras fixes its backend when first imported, so every test that runs Keras in the pytest
# process asks for the same one: TensorFlow, whose frozen MobileNetV2 compiles in seconds (JAX's
# CPU backend takes ~30 s per image size); notebooks run by papermill use their profile's backends.
IN_PROCESS_KERAS = {"keras_backend": "tensorflow", "feature_backend": "tensorflow"}


@pytest.fixture(scope="session")
def eager_tensorflow():
    """For tests that run Keras in the pytest process: TensorFlow runs functions eagerly. Their
    models are tiny, and tracing plus graph optimisation (~5 s per train, test or predict function,
    new for every model) cost far more than the ops (test_model's training tests: 132 s -> 28 s;
    the store test: 362 -> 276 s). The compiled paths run in the notebook kernels (smoke: JAX
    training, TensorFlow features)."""
    import tensorflow as tf
    tf.config.run_functions_eagerly(True)
    yield


@pytest.fixture(scope="session")
def smoke_cfg(_output_root):
    from vt2lib.profiles import load_profile
    return dataclasses.replace(load_profile("smoke"), n_workers=1, **IN_PROCESS_KERAS)


@pytest.fixture(scope="session")
def smoke_raw(smoke_cfg):
    from vt2lib.data.raw import load_raw_data
    return load_raw_data(smoke_cfg)


class _Handler(http.server.SimpleHTTPRequestHandler):
    routes: dict = {}

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server(tmp_path):
    """Serve files from a temp folder on 127.0.0.1 (Range requests supported by `serve_file`)."""
    import functools

    class RangeHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = Path(self.translate_path(self.path.split("?")[0]))
            if self.path.startswith("/oembed"):
                return self._oembed()
            if self.path.startswith("/youtube/v3/videos"):
                return self._videos_list()
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            rng = self.headers.get("Range")
            if rng:
                start = int(rng.split("=")[1].split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _oembed(self):
            import urllib.parse
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            video = q["url"][0].rsplit("v=", 1)[1]
            code = self.server.statuses.get(video, 404)
            if isinstance(code, list):  # answers in turn, the last one for good
                code = code.pop(0) if len(code) > 1 else code[0]
            self.server.requests.append(video)
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def _videos_list(self):  # the YouTube Data API's videos.list: server.videos by id, key server.api_key
            import json
            import urllib.parse
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            if self.server.api_errors:  # statuses to answer first (a server error, say)
                code, answer = self.server.api_errors.pop(0), {"error": {"message": "Backend Error"}}
            elif q.get("key") != [self.server.api_key]:
                message = "API key not valid. Please pass a valid API key."
                code, answer = 400, {"error": {"code": 400, "message": message}}
            else:
                ids = q["id"][0].split(",")
                self.server.requests.append(ids)
                code, answer = 200, {"items": [self.server.videos[y] for y in ids if y in self.server.videos]}
            body = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(RangeHandler, directory=str(tmp_path)))
    server.statuses, server.requests, server.videos, server.api_key, server.api_errors = {}, [], {}, "test-key", []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.root = tmp_path
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
