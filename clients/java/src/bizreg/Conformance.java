package bizreg;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Runs this client over every vector in conformance/vectors and prints one line per failure
 * and a count per file; exits 1 if any vector fails.
 *
 *     java -cp build bizreg.Conformance ../../conformance/vectors
 */
public final class Conformance {
    private final Path directory;
    private final Map<String, Object> keys;
    private int passed;
    private final List<String> failures = new ArrayList<>();

    private Conformance(Path directory) throws Exception {
        this.directory = directory;
        this.keys = Json.object(load("keys.json").get("keys"));
    }

    public static void main(String[] args) throws Exception {
        Conformance run = new Conformance(Path.of(args.length > 0 ? args[0] : "../../conformance/vectors"));
        run.contentDigest();
        run.signatureBases();
        run.requestSignatures();
        run.attestations();
        run.webhooks();
        for (String failure : run.failures) {
            System.out.println("FAIL " + failure);
        }
        System.out.printf("java conformance: %d passed, %d failed%n", run.passed, run.failures.size());
        System.exit(run.failures.isEmpty() ? 0 : 1);
    }

    private Map<String, Object> load(String name) throws Exception {
        return Json.object(Json.parse(Files.readString(directory.resolve(name), StandardCharsets.UTF_8)));
    }

    private void check(String file, Object name, Object expected, Object actual) {
        if (Objects.equals(expected, actual)) {
            passed++;
        } else {
            failures.add(file + " / " + name + ": expected " + expected + ", got " + actual);
        }
    }

    private static List<Map<String, Object>> cases(Map<String, Object> file, String part) {
        List<Map<String, Object>> out = new ArrayList<>();
        Object list = file.get(part);
        if (list != null) {
            for (Object item : Json.array(list)) {
                out.add(Json.object(item));
            }
        }
        return out;
    }

    private interface Action {
        void run() throws Exception;
    }

    /** {"result": "accept"} or {"result": "refuse", "code": ...}, as the vectors write it. */
    private static Map<String, Object> outcome(Action action) {
        Map<String, Object> result = new LinkedHashMap<>();
        try {
            action.run();
            result.put("result", "accept");
        } catch (ProtocolError refused) {
            result.put("result", "refuse");
            result.put("code", refused.code);
        } catch (Exception crash) {
            result.put("result", "crash");
            result.put("code", crash.toString());
        }
        return result;
    }

    private static HttpSignatures.Request request(Map<String, Object> r) {
        List<String[]> headers = new ArrayList<>();
        for (Object h : Json.array(r.get("headers"))) {
            List<Object> pair = Json.array(h);
            headers.add(new String[] {(String) pair.get(0), (String) pair.get(1)});
        }
        byte[] body = Base64.getDecoder().decode((String) r.get("body_base64"));
        return new HttpSignatures.Request((String) r.get("method"), (String) r.get("target_uri"), headers, body);
    }

    private Map<String, Object> key(String name) {
        return Json.object(keys.get(name));
    }

    private PublicKey publicKey(String name) throws Exception {
        return Keys.publicKey((String) key(name).get("public_pem"));
    }

    private PrivateKey privateKey(String name) throws Exception {
        return Keys.privateKey((String) key(name).get("private_pem"));
    }

    private static long integer(Object value) {
        return ((BigDecimal) value).longValueExact();
    }

    // -- the files --------------------------------------------------------------------------

    private void contentDigest() throws Exception {
        Map<String, Object> file = load("content-digest.json");
        for (Map<String, Object> c : cases(file, "create")) {
            byte[] body = Base64.getDecoder().decode((String) c.get("body_base64"));
            check("content-digest", c.get("name"), c.get("expected"), ContentDigest.create(body));
        }
        for (Map<String, Object> c : cases(file, "verify")) {
            byte[] body = Base64.getDecoder().decode((String) c.get("body_base64"));
            check("content-digest", c.get("name"), c.get("expected"),
                    outcome(() -> ContentDigest.verify((String) c.get("field_value"), body)));
        }
    }

    private void signatureBases() throws Exception {
        for (Map<String, Object> c : cases(load("signature-bases.json"), "cases")) {
            List<String> components = new ArrayList<>();
            for (Object name : Json.array(c.get("covered_components"))) {
                components.add((String) name);
            }
            Map<String, Object> params = new LinkedHashMap<>();
            for (Map.Entry<String, Object> p : Json.object(c.get("signature_params")).entrySet()) {
                params.put(p.getKey(), p.getValue() instanceof BigDecimal n ? (Object) n.longValueExact() : p.getValue());
            }
            String base;
            try {
                base = HttpSignatures.signatureBase(request(Json.object(c.get("request"))), components, params);
            } catch (ProtocolError e) {
                base = "refused: " + e.code;
            }
            check("signature-bases", c.get("name"), c.get("expected_signature_base"), base);
        }
    }

    private void requestSignatures() throws Exception {
        Map<String, Object> file = load("request-signatures.json");
        for (Map<String, Object> c : cases(file, "sign")) {
            Map<String, Object> signer = Json.object(c.get("signer"));
            Map<String, Object> expected = Json.object(c.get("expected"));
            Map<String, Object> expectedHeaders = Json.object(expected.get("headers"));
            PrivateKey privateKey = privateKey((String) signer.get("key"));
            Long expires = signer.containsKey("expires") ? integer(signer.get("expires")) : null;
            Map<String, String> added = HttpSignatures.sign(request(Json.object(c.get("request"))), privateKey,
                    (String) signer.get("keyid"), integer(signer.get("created")), expires, (String) signer.get("nonce"));
            boolean deterministic = Boolean.TRUE.equals(expected.get("deterministic"));
            for (String name : List.of("Content-Digest", "Signature-Input")) {
                check("request-signatures sign", c.get("name") + " " + name, expectedHeaders.get(name), added.get(name));
            }
            if (deterministic) {
                check("request-signatures sign", c.get("name") + " Signature", expectedHeaders.get("Signature"),
                        added.get("Signature"));
            }
            // Whatever the algorithm, our signature must verify over the expected base...
            byte[] ours = Base64.getDecoder().decode(added.get("Signature").split(":")[1]);
            byte[] base = ((String) expected.get("signature_base")).getBytes(StandardCharsets.US_ASCII);
            PublicKey publicKey = publicKey((String) signer.get("key"));
            check("request-signatures sign", c.get("name") + " verifies", true, Keys.verify(publicKey, ours, base));
            // ... and so must the reference's (for P-256: a signature made by another implementation).
            byte[] theirs = Base64.getDecoder().decode(((String) expectedHeaders.get("Signature")).split(":")[1]);
            check("request-signatures sign", c.get("name") + " reference verifies", true,
                    Keys.verify(publicKey, theirs, base));
        }
        for (Map<String, Object> c : cases(file, "verify")) {
            verifyCase("request-signatures verify", c);
        }
    }

    private void verifyCase(String file, Map<String, Object> c) throws Exception {
        Map<String, Object> verifier = Json.object(c.get("verifier"));
        Map<String, PublicKey> registered = new HashMap<>();
        for (Map.Entry<String, Object> k : Json.object(verifier.get("registered_keys")).entrySet()) {
            registered.put(k.getKey(), publicKey((String) k.getValue()));
        }
        Set<String> seen = new HashSet<>();
        for (Object pair : Json.array(verifier.get("seen_nonces"))) {
            List<Object> kn = Json.array(pair);
            seen.add(kn.get(0) + "\u0000" + kn.get(1));
        }
        HttpSignatures.NonceStore store = (keyid, nonce) -> seen.add(keyid + "\u0000" + nonce);
        HttpSignatures.Request request = request(Json.object(c.get("request")));
        check(file, c.get("name"), c.get("expected"), outcome(() -> HttpSignatures.verify(request, registered::get,
                integer(verifier.get("now")), store, integer(verifier.get("max_skew_seconds")))));
    }

    private void attestations() throws Exception {
        Map<String, Object> file = load("attestations.json");
        Map<String, Object> profile = Json.object(file.get("profile"));
        for (Map<String, Object> c : cases(file, "sign")) {
            String token = Attestations.sign(Json.object(c.get("claims")), privateKey((String) c.get("key")),
                    (String) c.get("kid"));
            check("attestations sign", c.get("name"), c.get("expected_token"), token);
        }
        for (Map<String, Object> c : cases(file, "verify")) {
            Map<String, Object> v = Json.object(c.get("verifier"));
            Set<Object> seen = new HashSet<>(Json.array(v.get("jti_seen")));
            PublicKey key = publicKey((String) v.get("key"));
            check("attestations verify", c.get("name"), c.get("expected"), outcome(() -> Attestations.verify(
                    (String) c.get("token"), key, (String) v.get("expected_issuer"), (String) v.get("application_id"),
                    integer(v.get("now")), seen::contains,
                    ((BigDecimal) profile.get("face_match_threshold")).doubleValue(),
                    integer(profile.get("clock_skew_seconds")))));
        }
    }

    private void webhooks() throws Exception {
        Map<String, Object> file = load("webhooks.json");
        Map<String, Object> build = Json.object(file.get("build"));
        Map<String, Object> delivered = Json.object(build.get("expected"));
        // The body a bank receives, rebuilt: JSON with sorted keys, compact, UTF-8.
        Map<String, Object> event = Json.object(Json.object(file.get("event")).get("body"));
        String body = new String(Base64.getDecoder().decode((String) delivered.get("body_base64")), StandardCharsets.UTF_8);
        check("webhooks", "event body serialization", body, Json.write(sorted(event)));
        HttpSignatures.Request unsigned = new HttpSignatures.Request("POST", (String) build.get("callback_url"),
                List.<String[]>of(new String[] {"Content-Type", "application/json"}), body.getBytes(StandardCharsets.UTF_8));
        Map<String, String> added = HttpSignatures.sign(unsigned, privateKey((String) build.get("key")),
                (String) key((String) build.get("key")).get("keyid"), integer(build.get("created")), null,
                (String) build.get("nonce"));
        Map<String, String> expectedHeaders = new LinkedHashMap<>();
        for (Object h : Json.array(delivered.get("headers"))) {
            List<Object> pair = Json.array(h);
            expectedHeaders.put((String) pair.get(0), (String) pair.get(1));
        }
        for (Map.Entry<String, String> h : added.entrySet()) {
            check("webhooks", "build " + h.getKey(), expectedHeaders.get(h.getKey()), h.getValue());
        }
        for (Map<String, Object> c : cases(file, "verify")) {
            verifyCase("webhooks verify", c);
        }
        for (Map<String, Object> c : cases(file, "retry_delay")) {
            double delay = Webhooks.retryDelay((int) integer(c.get("attempt")),
                    ((BigDecimal) c.get("base_seconds")).doubleValue(), ((BigDecimal) c.get("cap_seconds")).doubleValue(),
                    ((BigDecimal) c.get("jitter")).doubleValue(), (String) c.get("mode"));
            double expected = ((BigDecimal) c.get("expected_seconds")).doubleValue();
            check("webhooks retry", "attempt " + c.get("attempt") + " " + c.get("mode"), true,
                    Math.abs(delay - expected) <= 1e-9 * Math.max(1, expected));
        }
    }

    @SuppressWarnings("unchecked")
    private static Object sorted(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new java.util.TreeMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.put((String) e.getKey(), sorted(e.getValue()));
            }
            return new LinkedHashMap<>(out);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object item : list) {
                out.add(sorted(item));
            }
            return out;
        }
        return value;
    }
}
