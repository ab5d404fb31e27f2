// A pgjdbc client exercising eddy the way Java applications do: server-prepared statements
// (pgjdbc switches to named, binary statements after prepareThreshold=5 executions), batches,
// transactions and typed getters. Prints "OK" and exits 0 on success.
import java.math.BigDecimal;
import java.sql.*;

public class JdbcSmoke {
    static void check(boolean cond, String msg) {
        if (!cond) throw new AssertionError(msg);
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        try (Connection c = DriverManager.getConnection(url, "eddy", "")) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE jt (id bigint PRIMARY KEY, name text, score double precision, "
                        + "amount numeric(10,2), born date, seen timestamp, ok boolean, small smallint)");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO jt VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 1; i <= 12; i++) {
                    ps.setLong(1, i);
                    ps.setString(2, "name" + i);
                    ps.setDouble(3, i * 1.5);
                    ps.setBigDecimal(4, new BigDecimal(i + ".25"));
                    ps.setDate(5, Date.valueOf("2024-01-" + String.format("%02d", i)));
                    ps.setTimestamp(6, Timestamp.valueOf("2024-03-04 05:06:07.5"));
                    ps.setBoolean(7, i % 2 == 0);
                    ps.setShort(8, (short) i);
                    check(ps.executeUpdate() == 1, "insert count");
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, name, score, amount, born, seen, ok, small FROM jt WHERE id = ?")) {
                for (int round = 0; round < 10; round++) {
                    for (int i = 1; i <= 12; i++) {
                        ps.setLong(1, i);
                        try (ResultSet rs = ps.executeQuery()) {
                            check(rs.next(), "row " + i);
                            check(rs.getLong(1) == i, "id");
                            check(rs.getString(2).equals("name" + i), "name");
                            check(rs.getDouble(3) == i * 1.5, "score");
                            check(rs.getBigDecimal(4).compareTo(new BigDecimal(i + ".25")) == 0, "amount " + rs.getBigDecimal(4));
                            check(rs.getDate(5).toString().equals("2024-01-" + String.format("%02d", i)), "born " + rs.getDate(5));
                            check(rs.getTimestamp(6).equals(Timestamp.valueOf("2024-03-04 05:06:07.5")), "seen " + rs.getTimestamp(6));
                            check(rs.getBoolean(7) == (i % 2 == 0), "ok");
                            check(rs.getShort(8) == i, "small");
                            check(!rs.next(), "one row");
                        }
                    }
                }
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("UPDATE jt SET name = ? WHERE id = ?")) {
                ps.setString(1, "changed");
                ps.setLong(2, 1);
                ps.executeUpdate();
            }
            c.rollback();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO jt (id, name) VALUES (?, ?)")) {
                for (int i = 100; i < 110; i++) {
                    ps.setLong(1, i);
                    ps.setString(2, "batch" + i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT count(*), min(name) FROM jt")) {
                check(rs.next(), "count row");
                check(rs.getLong(1) == 22, "count " + rs.getLong(1));
                check(rs.getString(2).equals("batch100"), "rolled back update must not show: " + rs.getString(2));
            }
            try (Statement st = c.createStatement()) {
                st.executeQuery("SELECT * FROM missing_table");
                throw new AssertionError("expected an error");
            } catch (SQLException e) {
                check("42P01".equals(e.getSQLState()), "sqlstate " + e.getSQLState());
            }
            if (args.length > 1 && args[1].equals("metadata")) {
                DatabaseMetaData md = c.getMetaData();
                boolean found = false;
                try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE"})) {
                    while (rs.next()) found |= rs.getString("TABLE_NAME").equals("jt");
                }
                check(found, "getTables lists jt");
                int cols = 0;
                try (ResultSet rs = md.getColumns(null, "public", "jt", "%")) {
                    while (rs.next()) cols++;
                }
                check(cols == 8, "getColumns: " + cols);
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE jpk (region text NOT NULL, id int NOT NULL, note text, "
                            + "PRIMARY KEY (region, id))");
                }
                StringBuilder pk = new StringBuilder();
                try (ResultSet rs = md.getPrimaryKeys(null, "public", "jpk")) {
                    while (rs.next()) {
                        pk.append(rs.getString("COLUMN_NAME")).append(':').append(rs.getShort("KEY_SEQ"))
                                .append(':').append(rs.getString("PK_NAME")).append(' ');
                    }
                }
                check(pk.toString().equals("region:1:jpk_pkey id:2:jpk_pkey "), "getPrimaryKeys: " + pk);
                pk.setLength(0);
                try (ResultSet rs = md.getPrimaryKeys(null, "public", "jt")) {
                    while (rs.next()) pk.append(rs.getString("COLUMN_NAME")).append(':').append(rs.getShort("KEY_SEQ"));
                }
                check(pk.toString().equals("id:1"), "getPrimaryKeys jt: " + pk);
                StringBuilder schemas = new StringBuilder();
                try (ResultSet rs = md.getSchemas()) {
                    while (rs.next()) schemas.append(rs.getString("TABLE_SCHEM")).append(' ');
                }
                check(schemas.toString().contains("public ") && schemas.toString().contains("pg_catalog ")
                        && schemas.toString().contains("information_schema "), "getSchemas: " + schemas);
                schemas.setLength(0);
                try (ResultSet rs = md.getSchemas(null, "pub%")) {
                    while (rs.next()) schemas.append(rs.getString("TABLE_SCHEM")).append(' ');
                }
                check(schemas.toString().equals("public "), "getSchemas(pub%): " + schemas);
            }
        }
        System.out.println("OK");
    }
}
