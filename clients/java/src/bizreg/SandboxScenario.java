package bizreg;

import com.sun.net.httpserver.HttpServer;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The sandbox scenario (docs/sandbox.md) with the JDK alone: callback, create, idempotent
 * retry, replay, attestations, submit, licence download, webhook verification and receipt.
 * Exits 0 when the sandbox's report says every step passed.
 *
 *     java -cp build bizreg.SandboxScenario http://127.0.0.1:8100 var/sandbox/sandbox.json \
 *         tests/contract/application-yinzhengtong.json
 */
public final class SandboxScenario {
    private final String base;
    private final String clientId;
    private final String keyid;
    private final PrivateKey key;
    private final String attestationKid;
    private final PrivateKey attestationKey;
    private final HttpClient http = HttpClient.newHttpClient();

    private record Received(String path, List<String[]> headers, byte[] body) {}

    private SandboxScenario(String base, Map<String, Object> described) throws Exception {
        this.base = base.replaceAll("/+$", "");
        this.clientId = (String) described.get("client_id");
        Map<String, Object> requestKey = Json.object(Json.object(described.get("request_keys")).get("terminal-ed25519"));
        this.keyid = (String) requestKey.get("keyid");
        this.key = Keys.privateKey(Files.readString(Path.of((String) requestKey.get("private_key"))));
        Map<String, Object> attestation = Json.object(described.get("attestation_key"));
        this.attestationKid = (String) attestation.get("keyid");
        this.attestationKey = Keys.privateKey(Files.readString(Path.of((String) attestation.get("private_key"))));
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> described = Json.object(Json.parse(Files.readString(Path.of(args[1]))));
        Map<String, Object> payload = Json.object(Json.parse(Files.readString(Path.of(args[2]), StandardCharsets.UTF_8)));
        SandboxScenario terminal = new SandboxScenario(args[0], described);
        boolean passed = terminal.run(payload);
        System.exit(passed ? 0 : 1);
    }

    /** A signed request, ready to send (and to send again, for the replay step). */
    private HttpRequest build(String method, String pathAndQuery, byte[] body, Map<String, String> headers)
            throws Exception {
        String uri = base + pathAndQuery;
        List<String[]> fields = new ArrayList<>();
        for (Map.Entry<String, String> h : headers.entrySet()) {
            fields.add(new String[] {h.getKey(), h.getValue()});
        }
        HttpSignatures.Request unsigned = new HttpSignatures.Request(method, uri, fields, body);
        Map<String, String> added = HttpSignatures.sign(unsigned, key, keyid, Instant.now().getEpochSecond(), null, null);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(uri))
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(builder::header);
        added.forEach(builder::header);
        return builder.build();
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> send(String method, String path, Object json, Map<String, String> headers) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(headers);
        byte[] body = new byte[0];
        if (json instanceof byte[] raw) {
            body = raw;
        } else if (json != null) {
            body = Json.write(json).getBytes(StandardCharsets.UTF_8);
            all.putIfAbsent("Content-Type", "application/json");
        }
        return send(build(method, path, body, all));
    }

    private static Map<String, Object> json(HttpResponse<byte[]> response) {
        return Json.object(Json.parse(new String(response.body(), StandardCharsets.UTF_8)));
    }

    private static void expect(boolean condition, String what, HttpResponse<byte[]> response) {
        if (!condition) {
            throw new IllegalStateException(what + ": " + response.statusCode() + " "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    private boolean run(Map<String, Object> payload) throws Exception {
        BlockingQueue<Received> hooks = new LinkedBlockingQueue<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/bizreg/webhooks", exchange -> {
            List<String[]> headers = new ArrayList<>();
            exchange.getRequestHeaders().forEach((name, values) -> values.forEach(v -> headers.add(new String[] {name, v})));
            hooks.add(new Received(exchange.getRequestURI().toString(), headers, exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        String callback = "http://127.0.0.1:" + server.getAddress().getPort() + "/bizreg/webhooks";
        try {
            HttpResponse<byte[]> answer = send("PUT", "/sandbox/v1/callback", Map.of("url", callback), Map.of());
            expect(answer.statusCode() == 200, "callback", answer);

            String idempotencyKey = UUID.randomUUID().toString();
            HttpResponse<byte[]> created = send("POST", "/api/v1/applications", payload, Map.of("Idempotency-Key", idempotencyKey));
            expect(created.statusCode() == 201, "create", created);
            String id = (String) json(created).get("id");
            System.out.println("created " + id);

            HttpResponse<byte[]> retried = send("POST", "/api/v1/applications", payload, Map.of("Idempotency-Key", idempotencyKey));
            expect("true".equals(retried.headers().firstValue("Idempotent-Replayed").orElse(null)), "retry", retried);
            System.out.println("retry replayed the stored answer");

            HttpRequest once = build("GET", "/api/v1/applications/" + id, new byte[0], Map.of());
            expect(send(once).statusCode() == 200, "get", created);
            HttpResponse<byte[]> replayed = send(once);
            expect(replayed.statusCode() == 401 && "replayed_nonce".equals(json(replayed).get("code")), "replay", replayed);
            System.out.println("replay refused: replayed_nonce");

            for (Map<String, Object> person : peopleToAttest(payload)) {
                String token = Attestations.sign(claims(id, person), attestationKey, attestationKid);
                HttpResponse<byte[]> attested = send("POST", "/api/v1/applications/" + id + "/attestations",
                        token.getBytes(StandardCharsets.US_ASCII), Map.of("Content-Type", "application/jose"));
                expect(attested.statusCode() == 201, "attestation", attested);
            }
            System.out.println("attestations accepted");

            HttpResponse<byte[]> submitted = send("POST", "/api/v1/applications/" + id + "/submit", null,
                    Map.of("Idempotency-Key", UUID.randomUUID().toString()));
            expect(submitted.statusCode() == 200, "submit", submitted);
            String pdfUrl = waitForLicence(id);
            HttpResponse<byte[]> pdf = send("GET", pdfUrl, null, Map.of());
            expect(pdf.statusCode() == 200 && new String(pdf.body(), 0, 5, StandardCharsets.US_ASCII).equals("%PDF-"), "licence", pdf);
            System.out.println("licence downloaded: " + pdf.body().length + " bytes");

            String[] verified = verifiedWebhook(hooks, callback);
            Map<String, Object> receipt = new LinkedHashMap<>();
            receipt.put("event_id", verified[0]);
            receipt.put("keyid", verified[1]);
            HttpResponse<byte[]> acknowledged = send("POST", "/sandbox/v1/webhook-receipts", receipt, Map.of());
            expect(acknowledged.statusCode() == 201, "receipt", acknowledged);
            System.out.println("webhook " + verified[0] + " verified with " + verified[1]);
        } finally {
            server.stop(0);
        }
        HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(URI.create(
                base + "/sandbox/v1/report?client_id=" + clientId)).build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, Object> report = Json.object(json(answer).get("report"));
        for (Object step : Json.array(report.get("steps"))) {
            Map<String, Object> s = Json.object(step);
            System.out.printf("%s  %-22s %s%n", Boolean.TRUE.equals(s.get("passed")) ? "PASS" : "FAIL", s.get("step"), s.get("reason"));
        }
        System.out.println(Boolean.TRUE.equals(report.get("passed")) ? "java client: conformant" : "java client: NOT conformant");
        return Boolean.TRUE.equals(report.get("passed"));
    }

    /** The legal representative and every natural-person shareholder, once each. */
    private static List<Map<String, Object>> peopleToAttest(Map<String, Object> payload) {
        Set<Object> refs = new LinkedHashSet<>();
        refs.add(payload.get("legal_representative"));
        for (Object holder : Json.array(payload.get("shareholders"))) {
            Object person = Json.object(holder).get("person");
            if (person != null) {
                refs.add(person);
            }
        }
        List<Map<String, Object>> people = new ArrayList<>();
        for (Object person : Json.array(payload.get("persons"))) {
            if (refs.contains(Json.object(person).get("ref"))) {
                people.add(Json.object(person));
            }
        }
        return people;
    }

    private Map<String, Object> claims(String applicationId, Map<String, Object> person) {
        Instant now = Instant.now();
        Map<String, Object> document = Json.object(person.get("document"));
        Map<String, Object> who = new LinkedHashMap<>();
        who.put("name", person.get("name"));
        who.put("document_type", document.get("type"));
        who.put("document_number", document.get("number"));
        who.put("nationality", person.get("nationality"));
        who.put("birth_date", person.get("birth_date"));
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("document_chip_read", true);
        evidence.put("face_match_score", new BigDecimal("0.97"));
        evidence.put("liveness_passed", true);
        evidence.put("checked_at", now.minusSeconds(5).truncatedTo(ChronoUnit.SECONDS).toString());
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", clientId);
        claims.put("aud", "bizreg");
        claims.put("iat", BigDecimal.valueOf(now.getEpochSecond()));
        claims.put("exp", BigDecimal.valueOf(now.getEpochSecond() + 300));
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("application_id", applicationId);
        claims.put("person", who);
        claims.put("evidence", evidence);
        return claims;
    }

    private String waitForLicence(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Map<String, Object> state = json(send("GET", "/api/v1/applications/" + id, null, Map.of()));
            if ("issued".equals(state.get("status")) && state.get("licence") != null) {
                return (String) Json.object(state.get("licence")).get("pdf_url");
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException("no licence within 60 s");
    }

    /** The first delivery that verifies with a published authority key: (event id, keyid). */
    private String[] verifiedWebhook(BlockingQueue<Received> hooks, String callback) throws Exception {
        Map<String, Object> jwks = json(http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/webhooks/keys")).build(),
                HttpResponse.BodyHandlers.ofByteArray()));
        Map<String, PublicKey> keys = new HashMap<>();
        for (Object jwk : Json.array(jwks.get("keys"))) {
            Map<String, Object> k = Json.object(jwk);
            keys.put((String) k.get("kid"), ed25519((String) k.get("x")));
        }
        Set<String> seen = new HashSet<>();
        String origin = callback.substring(0, callback.indexOf("/bizreg"));
        Received hook = hooks.poll(60, TimeUnit.SECONDS);
        if (hook == null) {
            throw new IllegalStateException("no webhook within 60 s");
        }
        HttpSignatures.Request request = new HttpSignatures.Request("POST", origin + hook.path(), hook.headers(), hook.body());
        String keyid = HttpSignatures.verify(request, keys::get, Instant.now().getEpochSecond(),
                (k, n) -> seen.add(k + "\u0000" + n), 60);
        Map<String, Object> event = Json.object(Json.parse(new String(hook.body(), StandardCharsets.UTF_8)));
        return new String[] {(String) event.get("id"), keyid};
    }

    /** An Ed25519 public key from a JWK's x: the SubjectPublicKeyInfo prefix plus the 32 bytes. */
    private static PublicKey ed25519(String x) throws Exception {
        byte[] raw = Base64.getUrlDecoder().decode(x);
        byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
        byte[] der = new byte[prefix.length + raw.length];
        System.arraycopy(prefix, 0, der, 0, prefix.length);
        System.arraycopy(raw, 0, der, prefix.length, raw.length);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    }
}
