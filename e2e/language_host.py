"""A stand-in for `pulumi-language-python`, whose Go module the module proxy refuses at every version.

The real language host is a Go program that starts the project's Python (in its virtualenv) on `__main__.py` and
serves the engine's LanguageRuntime calls. This one serves them from the Python SDK itself, with the language server
the Automation API runs inline programs on (`pulumi.automation._server.LanguageServer`, an SDK-internal class: a
change of it in a new SDK shows here first), and runs the project's `__main__.py` in its own process. So the real CLI
runs its own command lines (`pulumi preview`, `up`, `refresh`, `destroy`, `stack output`) with its config
validation, engine, state, diff and providers, and the program runs under the real SDK and engine.

What it does not cover, being the real language host's own work: the project's `runtime.options`
(creating the virtualenv and installing requirements.txt, `pulumi install`), `pulumi about`'s dependency listing,
and policy packs. The harness starts it with the project's `.venv` interpreter, the virtualenv those options name.

The CLI starts it with the engine's address as the last argument, reads the port it prints, and ends it when done
(SIGINT to its process group, then SIGKILL): SIGINT or SIGTERM stops the server quietly, and should the CLI die
first, the watch on the parent process ends it.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2_grpc

# The engine sends whole resource graphs in one message at times; the SDK's own limit.
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
PARENT_POLL_S = 0.5


def entry_point(program_directory: str, entry: str) -> Path:
    """The file to run: `main:` in Pulumi.yaml may name a file, else the directory's `__main__.py`."""
    path = Path(program_directory) / entry
    return path if path.is_file() else path / "__main__.py"


class ProjectLanguageServer(LanguageServer):
    """Runs the project's program file for each `Run`, rather than a function given in advance."""

    def __init__(self, engine_address: str) -> None:
        super().__init__(program=lambda: None)
        self.engine_address = engine_address

    def Run(self, request, context):  # noqa: N802 (the gRPC method's name)
        # The base class takes the engine's address (where the program's log and warning messages go) from the
        # request's arguments, where the CLI puts it for an Automation API client; a language host gets it on
        # its command line instead.
        if not request.args:
            request.args.append(self.engine_address)
        directory = request.info.program_directory or request.pwd
        main = entry_point(directory, request.info.entry_point or ".")

        def program() -> None:
            os.chdir(directory)
            if directory not in sys.path:
                sys.path.insert(0, directory)
            runpy.run_path(str(main), run_name="__main__")

        self.program = program
        return super().Run(request, context)


def main() -> int:
    parent = os.getppid()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(ProjectLanguageServer(sys.argv[-1]), server)
    port = server.add_insecure_port("127.0.0.1:0")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(port, flush=True)
    while not stop.wait(PARENT_POLL_S) and os.getppid() == parent:
        pass
    server.stop(grace=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
