package bizreg;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** RFC 9530 Content-Digest: created with sha-256; every sha-256 / sha-512 member is checked. */
public final class ContentDigest {
    private ContentDigest() {}

    public static String create(byte[] body) {
        return "sha-256=:" + Base64.getEncoder().encodeToString(digest("SHA-256", body)) + ":";
    }

    public static List<String> verify(String fieldValue, byte[] body) throws ProtocolError {
        if (fieldValue == null || fieldValue.isBlank()) {
            throw new ProtocolError("content_digest_missing", "no Content-Digest");
        }
        Map<String, Object> parsed;
        try {
            parsed = StructuredFields.parseDictionary(fieldValue.trim());
        } catch (IllegalArgumentException e) {
            throw new ProtocolError("content_digest_malformed", "not a Structured Field: " + e.getMessage());
        }
        List<String> checked = new ArrayList<>();
        for (String[] algorithm : new String[][] {{"sha-256", "SHA-256", "32"}, {"sha-512", "SHA-512", "64"}}) {
            Object member = parsed.get(algorithm[0]);
            if (member == null) {
                continue;
            }
            if (!(member instanceof StructuredFields.Item item) || !(item.value() instanceof byte[] value)) {
                throw new ProtocolError("content_digest_malformed", algorithm[0] + " is not a byte sequence");
            }
            if (value.length != Integer.parseInt(algorithm[2])) {
                throw new ProtocolError("content_digest_malformed", algorithm[0] + " has the wrong length");
            }
            if (!MessageDigest.isEqual(value, digest(algorithm[1], body))) {
                throw new ProtocolError("digest_mismatch", "the body does not match its Content-Digest");
            }
            checked.add(algorithm[0]);
        }
        if (checked.isEmpty()) {
            throw new ProtocolError("content_digest_unsupported", "no sha-256 or sha-512 member");
        }
        return checked;
    }

    static byte[] digest(String algorithm, byte[] body) {
        try {
            return MessageDigest.getInstance(algorithm).digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
