package bizreg;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * RFC 9421 HTTP Message Signatures in the profile of docs/terminal-protocol.md: how a terminal
 * signs its requests and how anyone (a bank receiving our webhooks) verifies them.
 */
public final class HttpSignatures {
    private HttpSignatures() {}

    public static final List<String> REQUIRED = List.of("@method", "@target-uri");
    public static final List<String> MEANINGFUL = List.of("idempotency-key", "content-type");
    private static final Set<String> DERIVED =
            Set.of("@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query");
    private static final Set<String> KNOWN_PARAMS = Set.of("created", "expires", "keyid", "nonce", "alg", "tag");
    private static final int MAX_FIELD = 8192;

    /** An HTTP request as the protocol sees it: header lines in order, the exact body bytes. */
    public record Request(String method, String targetUri, List<String[]> headers, byte[] body) {
        public String field(String name) {
            List<String> lines = new ArrayList<>();
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    lines.add(h[1].replaceAll("^[ \\t]+|[ \\t]+$", ""));
                }
            }
            return lines.isEmpty() ? null : String.join(", ", lines);
        }
    }

    /** Answers whether a (keyid, nonce) pair was seen, remembering it if not. */
    public interface NonceStore {
        boolean remember(String keyid, String nonce);
    }

    // -- the signature base (RFC 9421 §2.5) ------------------------------------------------

    public static String signatureBase(Request request, List<String> components, Map<String, Object> params)
            throws ProtocolError {
        StringBuilder base = new StringBuilder();
        for (String name : components) {
            String value = componentValue(name, request);
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                throw new ProtocolError("signature_invalid", "component " + name + " contains a line break");
            }
            base.append(StructuredFields.serializeString(name)).append(": ").append(value).append('\n');
        }
        base.append("\"@signature-params\": ").append(signatureParams(components, params));
        String text = base.toString();
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7e) {
                throw new ProtocolError("signature_invalid", "the signature base is not ASCII");
            }
        }
        return text;
    }

    public static String signatureParams(List<String> components, Map<String, Object> params) {
        List<String> quoted = new ArrayList<>();
        for (String c : components) {
            quoted.add(StructuredFields.serializeString(c));
        }
        return "(" + String.join(" ", quoted) + ")" + StructuredFields.serializeParameters(params);
    }

    static String[] splitTarget(String uri) throws ProtocolError {
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd <= 0) {
            throw new ProtocolError("signature_invalid", "the target URI must be absolute");
        }
        String scheme = uri.substring(0, schemeEnd);
        String rest = uri.substring(schemeEnd + 3);
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            rest = rest.substring(0, hash);
        }
        int pathStart = rest.length();
        for (int i = 0; i < rest.length(); i++) {
            if (rest.charAt(i) == '/' || rest.charAt(i) == '?') {
                pathStart = i;
                break;
            }
        }
        String authority = rest.substring(0, pathStart);
        String pathAndQuery = rest.substring(pathStart);
        int q = pathAndQuery.indexOf('?');
        String path = q >= 0 ? pathAndQuery.substring(0, q) : pathAndQuery;
        String query = q >= 0 ? pathAndQuery.substring(q + 1) : null;
        return new String[] {scheme, authority, path.isEmpty() ? "/" : path, query};
    }

    static String componentValue(String name, Request request) throws ProtocolError {
        if (!name.startsWith("@")) {
            String value = request.field(name);
            if (value == null) {
                throw new ProtocolError("signature_invalid", "covered header field " + name + " is absent");
            }
            return value;
        }
        String[] t = splitTarget(request.targetUri());
        String querySuffix = t[3] == null ? "" : "?" + t[3];
        switch (name) {
            case "@method":
                return request.method();
            case "@target-uri":
                return t[0] + "://" + t[1] + t[2] + querySuffix;
            case "@authority": {
                String hostPort = t[1].substring(t[1].lastIndexOf('@') + 1).toLowerCase();
                int colon = hostPort.lastIndexOf(':');
                if (colon >= 0 && !hostPort.substring(colon).contains("]")) {
                    String port = hostPort.substring(colon + 1);
                    String scheme = t[0].toLowerCase();
                    if ((scheme.equals("https") && port.equals("443")) || (scheme.equals("http") && port.equals("80"))) {
                        return hostPort.substring(0, colon);
                    }
                }
                return hostPort;
            }
            case "@scheme":
                return t[0].toLowerCase();
            case "@request-target":
                return t[2] + querySuffix;
            case "@path":
                return t[2];
            case "@query":
                return "?" + (t[3] == null ? "" : t[3]);
            default:
                throw new ProtocolError("signature_invalid", "unsupported derived component " + name);
        }
    }

    // -- signing ----------------------------------------------------------------------------

    /** The header fields to add: Content-Digest (with a body), Signature-Input, Signature. */
    public static Map<String, String> sign(Request request, PrivateKey key, String keyid, long created,
            Long expires, String nonce) throws ProtocolError, GeneralSecurityException {
        Map<String, String> added = new LinkedHashMap<>();
        List<String> components = new ArrayList<>(REQUIRED);
        List<String[]> headers = new ArrayList<>();
        for (String[] h : request.headers()) {
            String lower = h[0].toLowerCase();
            if (!lower.equals("content-digest") && !lower.equals("signature") && !lower.equals("signature-input")) {
                headers.add(h);
            }
        }
        if (request.body().length > 0) {
            added.put("Content-Digest", ContentDigest.create(request.body()));
            headers.add(new String[] {"Content-Digest", added.get("Content-Digest")});
            components.add("content-digest");
        }
        Request signed = new Request(request.method(), request.targetUri(), headers, request.body());
        for (String name : MEANINGFUL) {
            if (signed.field(name) != null && (!name.equals("content-type") || request.body().length > 0)) {
                components.add(name);
            }
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("created", created);
        if (expires != null) {
            params.put("expires", expires);
        }
        params.put("keyid", keyid);
        params.put("nonce", nonce != null ? nonce : randomNonce());
        params.put("alg", Keys.httpAlgorithm(key));
        String base = signatureBase(signed, components, params);
        byte[] signature = Keys.sign(key, base.getBytes(StandardCharsets.US_ASCII));
        added.put("Signature-Input", "sig1=" + signatureParams(components, params));
        added.put("Signature", "sig1=:" + Base64.getEncoder().encodeToString(signature) + ":");
        return added;
    }

    static String randomNonce() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    // -- verifying --------------------------------------------------------------------------

    /** Verify the request's single signature; returns its keyid, or throws the refusal. */
    public static String verify(Request request, Function<String, PublicKey> resolveKey, long now,
            NonceStore nonces, long maxSkewSeconds) throws ProtocolError {
        Map<String, Object> inputs = dictionary(request, "signature-input");
        Map<String, Object> signatures = dictionary(request, "signature");
        boolean noInputs = inputs == null || inputs.isEmpty();
        boolean noSignatures = signatures == null || signatures.isEmpty();
        if (noInputs && noSignatures) {
            throw new ProtocolError("signature_missing", "no Signature and Signature-Input");
        }
        if (noInputs || noSignatures) {
            throw invalid("Signature and Signature-Input must both be present");
        }
        if (inputs.size() != 1) {
            throw invalid("expected exactly one signature");
        }
        String label = inputs.keySet().iterator().next();
        if (!signatures.containsKey(label)) {
            throw invalid("no signature labelled " + label + " in both fields");
        }
        if (!(inputs.get(label) instanceof StructuredFields.InnerList member)) {
            throw invalid("the Signature-Input member is not an inner list");
        }
        List<String> components = new ArrayList<>();
        for (StructuredFields.Item item : member.items()) {
            if (!(item.value() instanceof String value) || !item.params().isEmpty()) {
                throw invalid("unsupported component identifier");
            }
            if (!value.equals(value.toLowerCase())) {
                throw invalid("component identifier is not lowercase");
            }
            if (value.equals("@signature-params") || (value.startsWith("@") && !DERIVED.contains(value))) {
                throw invalid("unsupported derived component " + value);
            }
            if (components.contains(value)) {
                throw invalid("component covered twice");
            }
            components.add(value);
        }
        if (!(signatures.get(label) instanceof StructuredFields.Item sigItem) || !(sigItem.value() instanceof byte[] signature)) {
            throw invalid("the Signature member is not a byte sequence");
        }
        Map<String, Object> params = member.params();
        // parameters
        for (Map.Entry<String, Object> p : params.entrySet()) {
            if (!KNOWN_PARAMS.contains(p.getKey())) {
                throw invalid("unsupported signature parameter " + p.getKey());
            }
            boolean integer = p.getKey().equals("created") || p.getKey().equals("expires");
            if (integer && !(p.getValue() instanceof Long)) {
                throw invalid(p.getKey() + " must be an integer");
            }
            if (!integer && !(p.getValue() instanceof String)) {
                throw invalid(p.getKey() + " must be a string");
            }
        }
        if (!(params.get("created") instanceof Long created)) {
            throw invalid("no created parameter");
        }
        Long expires = (Long) params.get("expires");
        if (expires != null && expires < created) {
            throw invalid("expires before created");
        }
        String keyid = (String) params.get("keyid");
        String nonce = (String) params.get("nonce");
        String alg = (String) params.get("alg");
        if (keyid == null || keyid.isEmpty() || keyid.length() > 256) {
            throw invalid("no usable keyid");
        }
        if (nonce == null || nonce.isEmpty() || nonce.length() > 128) {
            throw invalid("no usable nonce");
        }
        if (alg != null && !alg.equals("ed25519") && !alg.equals("ecdsa-p256-sha256")) {
            throw invalid("unsupported alg " + alg);
        }
        // coverage
        List<String> missing = new ArrayList<>();
        for (String required : REQUIRED) {
            if (!components.contains(required)) {
                missing.add(required);
            }
        }
        boolean hasBody = request.body().length > 0;
        if (hasBody && !components.contains("content-digest")) {
            missing.add("content-digest");
        }
        if (!missing.isEmpty()) {
            throw invalid("the signature does not cover " + missing);
        }
        for (String name : MEANINGFUL) {
            if (request.field(name) != null && !components.contains(name) && (!name.equals("content-type") || hasBody)) {
                throw new ProtocolError("component_not_covered", "the signature must cover " + name);
            }
        }
        // freshness, before any key or cryptography
        if (Math.abs(now - created) > maxSkewSeconds) {
            throw new ProtocolError("stale_signature", "created is outside the accepted window");
        }
        if (expires != null && now > expires) {
            throw new ProtocolError("stale_signature", "the signature has expired");
        }
        PublicKey key = resolveKey.apply(keyid);
        if (key == null) {
            throw new ProtocolError("unknown_key", "no active key " + keyid);
        }
        if (alg != null && !alg.equals(Keys.httpAlgorithm(key))) {
            throw invalid("alg does not match the registered key");
        }
        String base = signatureBase(request, components, params);
        if (!Keys.verify(key, signature, base.getBytes(StandardCharsets.US_ASCII))) {
            throw invalid("the signature does not verify");
        }
        if (components.contains("content-digest")) {
            try {
                ContentDigest.verify(request.field("content-digest"), request.body());
            } catch (ProtocolError e) {
                if (e.code.equals("digest_mismatch")) {
                    throw e;
                }
                throw invalid("unusable Content-Digest: " + e.getMessage());
            }
        }
        if (nonces != null && !nonces.remember(keyid, nonce)) {
            throw new ProtocolError("replayed_nonce", "this nonce was already used with this key");
        }
        return keyid;
    }

    private static Map<String, Object> dictionary(Request request, String name) throws ProtocolError {
        String value = request.field(name);
        if (value == null) {
            return null;
        }
        if (value.length() > MAX_FIELD) {
            throw invalid(name + " is too long");
        }
        try {
            return StructuredFields.parseDictionary(value);
        } catch (IllegalArgumentException e) {
            throw invalid(name + " is not a Structured Field Dictionary");
        }
    }

    private static ProtocolError invalid(String message) {
        return new ProtocolError("signature_invalid", message);
    }
}
