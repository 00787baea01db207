# The code_exec runner: benchmcp runs this with `python -I -c`, arguments
# JOB_FD RESULT_FD SOLUTION_PATH. See harness.go for why a pass cannot be
# faked by ending the process or by writing output.
#
# JOB_FD carries one line with the run's token, then the task's tests; it is
# read to the end and closed before the answer's code runs. RESULT_FD is
# written once, "pass <token>\n", and only after every test ran to its end.
# Everything the runner needs after the answer's code has run is bound here,
# before it runs, so that the answer cannot swap it.
import os
import sys


def _benchmcp_run():
    import builtins
    import linecache
    import traceback
    import types

    _write, _exit, _read, _close, _getpid = os.write, os._exit, os.read, os.close, os.getpid
    _exec, _compile, _dict, _isinstance, _int, _str = exec, compile, dict, isinstance, int, str
    _SystemExit, _BaseException = SystemExit, BaseException
    _settrace, _setprofile, _gettrace, _getprofile = sys.settrace, sys.setprofile, sys.gettrace, sys.getprofile
    _real_exit = sys.exit
    out, err = sys.stdout, sys.stderr
    _print_exception = traceback.print_exception
    builtins_at_start = _dict(builtins.__dict__)

    job_fd, result_fd, path = _int(sys.argv[1]), _int(sys.argv[2]), sys.argv[3]
    os.set_inheritable(result_fd, False)
    chunks = []
    while True:
        b = _read(job_fd, 1 << 16)
        if not b:
            break
        chunks.append(b)
    _close(job_fd)
    token, _, tests = b"".join(chunks).partition(b"\n")
    passed = b"pass " + token + b"\n"
    del chunks, token
    pid = _getpid()

    def flush():
        for f in (out, err):
            try:
                f.flush()
            except _BaseException:
                pass

    def say(msg):
        try:
            err.write("benchmcp: " + msg + "\n")
        except _BaseException:
            pass

    def show(e, skip):
        # The traceback without the runner's own frames.
        tb = e.__traceback__
        for _ in range(skip):
            if tb is not None:
                tb = tb.tb_next
        try:
            _print_exception(type(e), e, tb, file=err)
        except _BaseException:
            pass

    def end(code):
        flush()
        _exit(code)

    def exit_code(e):
        # What Python makes of SystemExit(code) at the top level.
        c = e.code
        if c is None:
            return 0
        if _isinstance(c, _int):
            # A status the OS would truncate to 0 (256) is still a failure.
            return (c & 0xFF) or (1 if c else 0)
        try:
            err.write(_str(c) + "\n")
        except _BaseException:
            pass
        return 1

    # The tests are compiled first, without optimisation, so that their
    # asserts always run, and their code objects are known: a SystemExit(0)
    # counts as the tests' own end only when it comes from them.
    try:
        tests_src = tests.decode("utf-8")
        linecache.cache["<tests>"] = (len(tests_src), None, tests_src.splitlines(True), "<tests>")
        tests_code = _compile(tests_src, "<tests>", "exec", dont_inherit=True, optimize=0)
    except _BaseException as e:
        say("the check's tests do not compile; fix the suite's tests")
        show(e, 1)
        end(2)
    test_codes, todo = [], [tests_code]
    while todo:
        c = todo.pop()
        test_codes.append(c)
        todo.extend(k for k in c.co_consts if _isinstance(k, types.CodeType))

    # The answer runs as the __main__ module, as `python solution.py` would
    # run it.
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    sys.argv = [os.path.basename(path)]
    sys.path.insert(0, os.path.dirname(path))
    try:
        with open(path, "rb") as f:
            source = f.read()
        _exec(_compile(source, path, "exec", dont_inherit=True, optimize=0), main.__dict__)
    except _SystemExit as e:
        code = exit_code(e)
        if code == 0:
            say("the answer's code exited (status 0) before the tests ran; the tests did not run")
            end(1)
        end(code)
    except _BaseException as e:
        show(e, 1)
        end(1)

    # The tests run in a namespace of their own, a copy of the answer's, with
    # the builtins as they were before the answer ran: the answer's functions
    # cannot rebind the tests' helpers through their globals, and a patched
    # print, AssertionError or exec does not reach the tests.
    sys.exit = _real_exit
    sys.stdout, sys.stderr = out, err
    _settrace(None)
    _setprofile(None)
    ns = _dict(main.__dict__)
    ns["__builtins__"] = _dict(builtins_at_start)
    ns["__name__"] = "__main__"
    try:
        _exec(tests_code, ns)
    except _SystemExit as e:
        code = exit_code(e)
        if code != 0:
            end(code)
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        own = False
        for c in test_codes:
            if tb.tb_frame.f_code is c:
                own = True
        if not own:
            say("the answer's code exited (status 0) while the tests ran; the tests did not finish")
            end(1)
    except _BaseException as e:
        show(e, 1)
        end(1)

    if sys.exit is not _real_exit:
        say("the answer's code replaced sys.exit while the tests ran")
        end(1)
    if _gettrace() is not None or _getprofile() is not None:
        say("the answer's code set a trace or profile function while the tests ran")
        end(1)
    if _getpid() != pid:
        # A process the answer forked ran the tests: only the runner reports.
        end(0)
    flush()
    try:
        _write(result_fd, passed)
    finally:
        _exit(0)


_benchmcp_run()
