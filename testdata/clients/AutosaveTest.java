// Transactions through pgjdbc with each autosave mode, for TestTxSavepointJDBC. With
// autosave=always the driver sends SAVEPOINT PGJDBC_AUTOSAVE before every statement and ROLLBACK
// TO it after a failure, so the transaction survives errors; with never and conservative an error
// aborts it. The program prints one line per statement (update count, rows or SQLSTATE) and the
// table as committed, so its output on eddy can be compared with PostgreSQL's.
//
// Usage: java AutosaveTest jdbc:postgresql://host:port/db table
import java.sql.*;
import java.util.Arrays;

public class AutosaveTest {
    static String table;

    public static void main(String[] args) throws Exception {
        String base = args[0];
        table = args[1];
        String[] modes = {"autosave=never", "autosave=always", "autosave=always&cleanupSavepoints=true",
                "autosave=conservative"};
        for (String mode : modes) {
            System.out.println("== " + mode);
            run(base + "?" + mode);
        }
    }

    static String sql(String s) {
        return s.replace("{t}", table);
    }

    static void say(String label, String outcome) {
        System.out.println(label + " => " + outcome);
    }

    static String failure(SQLException e) {
        return "ERROR " + e.getSQLState();
    }

    // step runs one statement through a plain Statement and prints its update count or rows.
    static void step(Connection c, String label, String q) {
        try (Statement st = c.createStatement()) {
            if (st.execute(sql(q))) {
                say(label, rows(st.getResultSet()));
            } else {
                say(label, st.getUpdateCount() + " row");
            }
        } catch (SQLException e) {
            say(label, failure(e));
        }
    }

    static String rows(ResultSet rs) throws SQLException {
        StringBuilder b = new StringBuilder("rows [");
        int n = rs.getMetaData().getColumnCount();
        boolean first = true;
        while (rs.next()) {
            if (!first) {
                b.append(' ');
            }
            first = false;
            for (int i = 1; i <= n; i++) {
                if (i > 1) {
                    b.append('|');
                }
                b.append(rs.getString(i));
            }
        }
        return b.append(']').toString();
    }

    static void insert(PreparedStatement ps, String label, long id, String v) {
        try {
            ps.setLong(1, id);
            ps.setString(2, v);
            say(label, ps.executeUpdate() + " row");
        } catch (SQLException e) {
            say(label, failure(e));
        }
    }

    static void commit(Connection c, String label) {
        try {
            c.commit();
            say(label, "ok");
        } catch (SQLException e) {
            say(label, failure(e));
        }
    }

    static void run(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "eddy", "")) {
            try (Statement st = c.createStatement()) {
                st.execute(sql("DROP TABLE IF EXISTS {t}"));
                st.execute(sql("CREATE TABLE {t} (id bigint PRIMARY KEY, v text)"));
                st.execute(sql("INSERT INTO {t} VALUES (100, 'hundred')"));
            }
            c.setAutoCommit(false);

            // Plain statements around a unique violation and a division by zero.
            step(c, "insert 1", "INSERT INTO {t} VALUES (1, 'one')");
            step(c, "duplicate 1", "INSERT INTO {t} VALUES (1, 'dup')");
            step(c, "after duplicate", "INSERT INTO {t} VALUES (2, 'two')");
            step(c, "select", "SELECT id, v FROM {t} ORDER BY id");
            step(c, "division by zero", "SELECT id / (id - 100) FROM {t} WHERE id = 100");
            step(c, "update", "UPDATE {t} SET v = v || '!' WHERE id < 100");
            commit(c, "commit 1");

            // A prepared INSERT run past prepareThreshold, so it becomes a named server-side
            // statement, with failures in between.
            try (PreparedStatement ps = c.prepareStatement(sql("INSERT INTO {t} VALUES (?, ?)"))) {
                for (long id = 10; id < 18; id++) {
                    insert(ps, "prepared insert " + id, id, "p" + id);
                    if (id % 3 == 0) {
                        insert(ps, "prepared duplicate " + id, id, "dup");
                    }
                }
            }
            commit(c, "commit 2");

            // A batch with a duplicate in the middle.
            try (PreparedStatement ps = c.prepareStatement(sql("INSERT INTO {t} VALUES (?, ?)"))) {
                for (long id : new long[] {20, 21, 1, 22}) {
                    ps.setLong(1, id);
                    ps.setString(2, "b" + id);
                    ps.addBatch();
                }
                try {
                    say("batch", "counts " + Arrays.toString(ps.executeBatch()));
                } catch (BatchUpdateException e) {
                    say("batch", failure(e) + " counts " + Arrays.toString(e.getUpdateCounts()));
                }
            }
            step(c, "after batch", "INSERT INTO {t} VALUES (23, 'b23')");
            commit(c, "commit 3");

            // The application's own savepoints, between the driver's.
            step(c, "insert 30", "INSERT INTO {t} VALUES (30, 'thirty')");
            Savepoint named = null;
            try {
                named = c.setSavepoint("app_sp");
                say("savepoint app_sp", "ok");
            } catch (SQLException e) {
                say("savepoint app_sp", failure(e));
            }
            step(c, "insert 31", "INSERT INTO {t} VALUES (31, 'thirty-one')");
            step(c, "duplicate 30", "INSERT INTO {t} VALUES (30, 'dup')");
            step(c, "insert 32", "INSERT INTO {t} VALUES (32, 'thirty-two')");
            try {
                if (named == null) {
                    say("rollback to app_sp", "no savepoint");
                } else {
                    c.rollback(named);
                    say("rollback to app_sp", "ok");
                }
            } catch (SQLException e) {
                say("rollback to app_sp", failure(e));
            }
            step(c, "insert 33", "INSERT INTO {t} VALUES (33, 'thirty-three')");
            Savepoint unnamed = null;
            try {
                unnamed = c.setSavepoint();
                say("unnamed savepoint", "ok");
            } catch (SQLException e) {
                say("unnamed savepoint", failure(e));
            }
            step(c, "insert 34", "INSERT INTO {t} VALUES (34, 'thirty-four')");
            try {
                if (unnamed == null) {
                    say("release unnamed", "no savepoint");
                } else {
                    c.releaseSavepoint(unnamed);
                    say("release unnamed", "ok");
                }
            } catch (SQLException e) {
                say("release unnamed", failure(e));
            }
            step(c, "select", "SELECT id, v FROM {t} WHERE id >= 30 ORDER BY id");
            commit(c, "commit 4");

            // An error, then the whole transaction rolled back.
            step(c, "insert 40", "INSERT INTO {t} VALUES (40, 'forty')");
            step(c, "duplicate 40", "INSERT INTO {t} VALUES (40, 'dup')");
            try {
                c.rollback();
                say("rollback", "ok");
            } catch (SQLException e) {
                say("rollback", failure(e));
            }

            c.setAutoCommit(true);
            step(c, "final", "SELECT id, v FROM {t} ORDER BY id");
            step(c, "drop", "DROP TABLE {t}");
        }
    }
}
