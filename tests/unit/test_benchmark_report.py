"""The benchmark's memory line: the peak, and what the server still holds at the end."""

from benchmarks.report import memory_line


def test_the_memory_line_shows_the_peak_and_the_resident_size_at_the_end() -> None:
    assert memory_line("service", 175 * 1024, 107 * 1024) == (
        "Peak RSS (VmHWM) of the service: 175.0 MiB (RSS at the end: 107.0 MiB)"
    )


def test_the_memory_line_says_when_proc_is_missing() -> None:
    assert memory_line("floor", None, None) == "Peak RSS (VmHWM) of the floor: unknown (no /proc)"
