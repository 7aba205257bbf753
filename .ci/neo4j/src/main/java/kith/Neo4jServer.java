package kith;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Neo4j Community with Bolt on 127.0.0.1 and auth on, its data in the folder given:
 * {@code java kith.Neo4jServer DATA_DIR PORT} with the password in KITH_NEO4J_PASSWORD.
 * The page cache is NEO4J_PAGECACHE MiB (default 256). Prints "ready" once the password is set and Bolt
 * listens; stops cleanly on SIGTERM.
 */
public final class Neo4jServer {
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: Neo4jServer DATA_DIR PORT (password in KITH_NEO4J_PASSWORD)");
            System.exit(2);
        }
        String password = System.getenv("KITH_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("Set KITH_NEO4J_PASSWORD (8 characters or more) for the neo4j user.");
            System.exit(2);
        }
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(Path.of(args[0]).toAbsolutePath())
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", Integer.parseInt(args[1])))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMiB()))
                .setConfig(GraphDatabaseInternalSettings.cypher_size_hint_parameters, planBySize())
                .setConfig(GraphDatabaseInternalSettings.cypher_expression_engine, expressionEngine());
        if ("false".equalsIgnoreCase(String.valueOf(System.getenv("NEO4J_REPLAN")).strip())) {  // see expressionEngine()
            builder.setConfig(GraphDatabaseSettings.query_statistics_divergence_threshold, 1.0)
                    .setConfig(GraphDatabaseSettings.cypher_min_replan_interval, Duration.ofDays(1));
        }
        DatabaseManagementService dbms = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }));
        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            // A restart on the same data with the same password: Neo4j refuses to "change" it to itself.
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                System.err.println("Could not set the neo4j user's password: " + e.getMessage());
                System.exit(1);  // the shutdown hook stops the database
            }
        }
        System.out.println("ready");
        System.out.flush();
        stopped.await();
    }

    /**
     * NEO4J_PLAN_BY_SIZE=false: one cached plan per statement and parameter types, not also per size of each
     * list parameter (0, 1, 10, 100, ... items). The tests send each statement with lists of many sizes and
     * planned it again for each: Cypher compiling was a quarter of a fresh test server's CPU samples, and
     * this setting cut the server's CPU by ~12 % on the Neo4j store tests.
     */
    private static boolean planBySize() {
        return !"false".equalsIgnoreCase(String.valueOf(System.getenv("NEO4J_PLAN_BY_SIZE")).strip());
    }

    /**
     * NEO4J_EXPRESSIONS=interpreted: Cypher expressions always interpreted, never compiled to bytecode once a
     * statement turns hot (Neo4j's default); NEO4J_REPLAN=false: a cached read plan is kept however much the
     * counts change (the tests empty and fill the database all the time, and Neo4j planned the reads again
     * every 10 s). The tests run each statement hundreds of times on a few rows: a compiled expression (a new
     * class to generate, load and JIT-compile) and a new plan never repaid themselves. The Neo4j contract
     * tests (81, -k neo4j, with test_demo_parity and test_store_interface) a third time on one server: 2.9 s
     * of server CPU with both, 7.1 s without (a fresh server's first pass: 36.5 s and 38.6 s).
     */
    private static GraphDatabaseInternalSettings.CypherExpressionEngine expressionEngine() {
        return "interpreted".equalsIgnoreCase(String.valueOf(System.getenv("NEO4J_EXPRESSIONS")).strip())
                ? GraphDatabaseInternalSettings.CypherExpressionEngine.INTERPRETED
                : GraphDatabaseInternalSettings.CypherExpressionEngine.DEFAULT;
    }

    private static long pageCacheMiB() {
        String value = System.getenv("NEO4J_PAGECACHE");
        return value == null || value.isBlank() ? 256 : Long.parseLong(value.strip());
    }
}
