// A minimal Jolokia JVM agent for the local test stack.
//
// The registries carry jolokia-core (Debian libjolokia-core-java) but no ready-made Jolokia
// JVM agent, so this premain serves jolokia-core's HttpRequestHandler on the JDK's built-in
// HTTP server at http://127.0.0.1:<port>/jolokia (GET and POST, Jolokia protocol 7.2).
//
// Usage: -javaagent:jolokia-agent.jar=port=8778[,host=127.0.0.1]
//
// Paths are percent-decoded the way a servlet container decodes getPathInfo() (no '+' to
// space); query parameters are form-decoded. Jolokia's own "!/" escaping handles slashes.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.Executors;

import org.jolokia.backend.BackendManager;
import org.jolokia.config.ConfigKey;
import org.jolokia.config.Configuration;
import org.jolokia.http.HttpRequestHandler;
import org.jolokia.restrictor.AllowAllRestrictor;
import org.jolokia.util.LogHandler;
import org.json.simple.JSONAware;

@SuppressWarnings("deprecation") // json-simple 2.x deprecates JSONAware.toJSONString, jolokia-core 1.7 uses it
public final class JolokiaAgent {
    private static final String CONTEXT = "/jolokia";

    public static void premain(String args, Instrumentation inst) throws IOException {
        Map<String, String> opts = parseArgs(args);
        String host = opts.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(opts.getOrDefault("port", "8778"));

        LogHandler log = new LogHandler() {
            public void debug(String m) { }
            public void info(String m) { System.err.println("jolokia-agent: " + m); }
            public void error(String m, Throwable t) {
                System.err.println("jolokia-agent: ERROR " + m + (t == null ? "" : ": " + t));
            }
        };
        Configuration config = new Configuration(
                ConfigKey.AGENT_ID, "debezium-exporter-stack",
                ConfigKey.AGENT_CONTEXT, CONTEXT);
        // lazy=true: the platform MBean server is touched on the first request, not in premain
        BackendManager backend = new BackendManager(config, log, new AllowAllRestrictor(), true);
        HttpRequestHandler handler = new HttpRequestHandler(config, backend, log);

        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.createContext(CONTEXT, exchange -> serve(handler, exchange));
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "jolokia-agent");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        log.info("listening on http://" + host + ":" + port + CONTEXT);
    }

    private static void serve(HttpRequestHandler handler, HttpExchange ex) throws IOException {
        JSONAware json;
        int httpStatus = 200;
        try {
            URI uri = ex.getRequestURI();
            // getPath() percent-decodes like a servlet container; strip the context path.
            String pathInfo = uri.getPath().substring(CONTEXT.length());
            Map<String, String[]> params = parseQuery(uri.getRawQuery());
            String method = ex.getRequestMethod();
            if ("GET".equals(method)) {
                json = handler.handleGetRequest(uri.toString(), pathInfo, params);
            } else if ("POST".equals(method)) {
                try (InputStream body = ex.getRequestBody()) {
                    byte[] bytes = body.readAllBytes();
                    json = handler.handlePostRequest(uri.toString(), new ByteArrayInputStream(bytes),
                            StandardCharsets.UTF_8.name(), params);
                }
            } else {
                httpStatus = 405;
                json = handler.handleThrowable(
                        new UnsupportedOperationException("method not allowed: " + method));
            }
        } catch (Throwable t) {
            json = handler.handleThrowable(t);
        }
        byte[] out = json.toJSONString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(httpStatus, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }

    private static Map<String, String[]> parseQuery(String raw) {
        Map<String, List<String>> acc = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String k = decode(eq < 0 ? pair : pair.substring(0, eq));
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
                acc.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            }
        }
        Map<String, String[]> out = new HashMap<>();
        acc.forEach((k, v) -> out.put(k, v.toArray(new String[0])));
        return out;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static Map<String, String> parseArgs(String args) {
        Map<String, String> m = new HashMap<>();
        if (args == null) return m;
        for (String kv : args.split(",")) {
            int eq = kv.indexOf('=');
            if (eq > 0) m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return m;
    }
}
