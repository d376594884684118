import pandas as pd
import pytest

from vt2lib.io import DataError, atomic_path, load_movies, load_ratings, load_youtube_mapping


def _write(tmp_path, text, name="ratings.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_ratings_load(tmp_path):
    df = load_ratings(_write(tmp_path, "userId,movieId,rating,timestamp\n1,2,3.5,10\n1,3,5.0,11\n"))
    assert df.rating.tolist() == [3.5, 5.0] and df.userId.dtype == "int64"


@pytest.mark.parametrize("text,match", [
    ("userId,movieId,score,timestamp\n1,2,3.5,1\n", r"lacks column\(s\) \['rating'\]"),
    ("userId,movieId,rating,timestamp\n1,2,abc,1\n", "non-numeric"),
    ("userId,movieId,rating,timestamp\n1,2,5.5,1\n", "not in 0.5..5.0"),
    ("userId,movieId,rating,timestamp\n1,2,3.3,1\n", "steps of 0.5"),
    ("userId,movieId,rating,timestamp\n1,2,3.0,1\n1,2,4.0,2\n", r"duplicate \(userId, movieId\) = \(1, 2\)"),
])
def test_bad_ratings_name_file_and_problem(tmp_path, text, match):
    p = _write(tmp_path, text)
    with pytest.raises(DataError, match=match) as e:
        load_ratings(p)
    assert str(p) in str(e.value)


def test_missing_files(tmp_path):
    with pytest.raises(DataError, match="movies file .*does not exist"):
        load_movies(tmp_path / "movies.csv")


def test_youtube_ids_stay_text(tmp_path):
    p = _write(tmp_path, "youtubeId,movieId,title\n-qz_zB2Pc2g,52,X (1995)\nNaN0123abcd,53,Y (1996)\n", "m.csv")
    assert load_youtube_mapping(p).youtubeId.tolist() == ["-qz_zB2Pc2g", "NaN0123abcd"]


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.parquet"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            pd.DataFrame({"a": [1]}).to_parquet(tmp)
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        pd.DataFrame({"a": [1]}).to_parquet(tmp)
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_an_atomic_write_gets_the_mode_a_plain_write_gets(tmp_path):
    """mkstemp's temp file is private (0600) and a rename kept that: a run's JSON and parquet files
    were unreadable to others on a shared machine, while its notebooks were not (a new user's trial)."""
    import os
    from vt2lib.io import write_json_atomic
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    write_json_atomic(tmp_path / "run.json", {"a": 1})
    with atomic_path(tmp_path / "fold0.parquet") as tmp:
        pd.DataFrame({"a": [1]}).to_parquet(tmp)
    mode = lambda p: os.stat(p).st_mode & 0o777  # noqa: E731
    assert mode(tmp_path / "run.json") == mode(tmp_path / "fold0.parquet") == mode(plain)


def test_headless_runs_get_text_progress_bars_for_the_log():
    """Text bars (not widgets) under the runner, whose close sends stderr at once: the kernel sends
    stderr and stdout on their own timers, and a print after a bar reached the log glued to it."""
    import os
    import subprocess
    import sys
    code = ("import sys, tqdm.std as text, tqdm.notebook as widget; from vt2lib.progress import tqdm as bar; "
            "print(issubclass(bar, text.tqdm) and not issubclass(bar, widget.tqdm)); "
            "Err = type('Err', (), {'write': lambda self, s: print(repr(s)), 'flush': lambda self: print('sent')}); "
            "sys.stderr = Err(); b = bar(range(2)); b.close(); print('closed')")
    env = {**os.environ, "VT2_TEXT_PROGRESS": "1"}  # the runner sets it for the kernels it starts
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    closed = lines.index("closed")  # tqdm's own close left its last newline unsent
    assert lines[0] == "True" and lines[closed - 2:closed] == [repr("\n"), "sent"]
    # a bar asked not to stay (leave=False) keeps its finished line in a log all the same: tqdm erases it
    # by writing over it, which in a file glued the next output to it
    code = "from vt2lib.progress import tqdm; [0 for _ in tqdm(range(2), desc='fold', leave=False)]; print('next')"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    last = out.stderr.splitlines()[-1].rsplit("\r", 1)[-1]
    assert out.stderr.endswith("\n") and last.startswith("fold: 100%") and "2/2" in last and out.stdout == "next\n"
    assert "0%" not in out.stderr.replace("100%", "")  # no opening "0/2" state before the bar's progress
