"""A psycopg2 client exercising eddy: parameters, executemany, transactions, COPY.

Run with Debian's /usr/bin/python3 (python3-psycopg2). Prints OK on success.
"""
import datetime
import decimal
import io
import sys

import psycopg2

conn = psycopg2.connect(sys.argv[1])
cur = conn.cursor()  # psycopg2 opens a transaction before the first statement
cur.execute("CREATE TABLE pt (id int PRIMARY KEY, name text, price numeric(10,2), d date, ts timestamptz, f float8, b bool)")
conn.commit()
cur.execute("INSERT INTO pt VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (1, "it's", decimal.Decimal("3.50"), datetime.date(2024, 5, 6),
             datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc), 0.5, True))
cur.executemany("INSERT INTO pt (id, name) VALUES (%s, %s)", [(i, "n%d" % i) for i in range(2, 52)])
conn.commit()
cur.execute("SELECT name, price, d, ts, f, b FROM pt WHERE id = %s", (1,))
row = cur.fetchone()
assert row[0] == "it's", row
assert row[1] == decimal.Decimal("3.50"), row
assert row[2] == datetime.date(2024, 5, 6), row
assert row[3] == datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc), row
assert row[4] == 0.5 and row[5] is True, row
cur.execute("SELECT count(*) FROM pt")
assert cur.fetchone()[0] == 51
cur.execute("DELETE FROM pt WHERE id > 10")
conn.rollback()
cur.execute("SELECT count(*) FROM pt")
assert cur.fetchone()[0] == 51, "rollback must undo the delete"
conn.commit()
cur.copy_expert("COPY pt (id, name) FROM STDIN WITH (FORMAT csv)", io.StringIO("100,copied\n101,\"with, comma\"\n"))
conn.commit()
cur.execute("SELECT name FROM pt WHERE id = 101")
assert cur.fetchone()[0] == "with, comma"
out = io.StringIO()
cur.copy_expert("COPY (SELECT id, name FROM pt WHERE id >= 100 ORDER BY id) TO STDOUT", out)
assert out.getvalue() == "100\tcopied\n101\twith, comma\n", repr(out.getvalue())
try:
    cur.execute("SELECT 1/0")
    raise AssertionError("expected division by zero")
except psycopg2.Error as e:
    assert e.pgcode == "22012", e.pgcode
    conn.rollback()
conn.close()
print("OK")
