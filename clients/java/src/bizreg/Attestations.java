package bizreg;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Identity attestations: a compact JWS (RFC 7515) signed with the client's attestation key,
 * EdDSA (Ed25519) or ES256 as the registered key decides. The checks, in the order the service
 * makes them (the first failing one is the refusal code), are in docs/terminal-protocol.md.
 */
public final class Attestations {
    private Attestations() {}

    public static final long MAX_LIFETIME = 600;
    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]*");
    private static final Pattern ISO_DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern WORD_SPLIT = Pattern.compile("[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])");
    private static final Set<String> BIOMETRIC_WORDS = Set.of("biometric", "biometrics", "photo", "photos",
            "photograph", "portrait", "selfie", "image", "images", "img", "picture", "template", "templates",
            "fingerprint", "fingerprints", "iris", "facemap", "minutiae", "video", "dg2", "dg3", "dg4");
    private static final List<String> BIOMETRIC_SUBSTRINGS =
            List.of("biometric", "fingerprint", "portrait", "selfie", "photo", "faceimage", "facetemplate");
    private static final List<String> IMAGE_PREFIXES =
            List.of("data:image/", "/9j/", "_9j_", "iVBORw0KGgo", "AAAADGpQICANCocK", "/0//U", "_0__U");

    /** Sign claims as a terminal does: header {"alg":..,"kid":..}, compact JSON, base64url. */
    public static String sign(Map<String, Object> claims, PrivateKey key, String kid) throws GeneralSecurityException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", Keys.jwsAlgorithm(key));
        if (kid != null) {
            header.put("kid", kid);
        }
        String input = b64(Json.write(header).getBytes(StandardCharsets.UTF_8)) + "."
                + b64(Json.write(claims).getBytes(StandardCharsets.UTF_8));
        return input + "." + b64(Keys.sign(key, input.getBytes(StandardCharsets.US_ASCII)));
    }

    static String b64(byte[] data) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    }

    public static Map<String, Object> verify(String token, PublicKey key, String expectedIssuer, String applicationId,
            long now, Predicate<String> jtiSeen, double faceMatchThreshold, long clockSkew) throws ProtocolError {
        String pinned = Keys.jwsAlgorithm(key);
        if (token == null || token.length() > 16 * 1024) {
            throw malformed("not a compact JWS of acceptable size");
        }
        String[] segments = token.strip().split("\\.", -1);
        if (segments.length != 3 || segments[0].isEmpty() || segments[1].isEmpty()) {
            throw malformed("a compact JWS has three base64url segments");
        }
        Map<String, Object> header = decodeJson(decode(segments[0], "protected header"), "protected header");
        Object alg = header.get("alg");
        if (!(alg instanceof String) || !(alg.equals("EdDSA") || alg.equals("ES256"))) {
            throw new ProtocolError("attestation_algorithm_refused", "use EdDSA or ES256");
        }
        if (!alg.equals(pinned)) {
            throw new ProtocolError("attestation_algorithm_refused", "alg does not match the registered key");
        }
        if (header.containsKey("crit") || header.containsKey("b64")) {
            throw malformed("JWS extensions are not supported");
        }
        byte[] payload = decode(segments[1], "payload");
        byte[] signature = decode(segments[2], "signature");
        if (signature.length == 0) {
            throw new ProtocolError("attestation_signature_invalid", "no signature");
        }
        byte[] input = (segments[0] + "." + segments[1]).getBytes(StandardCharsets.US_ASCII);
        if (!Keys.verify(key, signature, input)) {
            throw new ProtocolError("attestation_signature_invalid", "the signature does not verify");
        }
        Map<String, Object> claims = decodeJson(payload, "payload");
        String biometric = biometricPath(claims, "$");
        if (biometric != null) {
            throw new ProtocolError("biometric_data_present", "biometric data at " + biometric);
        }
        // the claims' shapes
        Map<String, Object> person = object(claims, "person");
        Map<String, Object> evidence = object(claims, "evidence");
        Object aud = claims.get("aud");
        boolean audOk = aud instanceof String
                || (aud instanceof List<?> list && list.stream().allMatch(a -> a instanceof String));
        if (!audOk) {
            throw malformed("aud must be a string or a list of strings");
        }
        String jti = string(claims, "jti");
        if (jti.length() > 256) {
            throw malformed("jti is too long");
        }
        Double score = number(evidence.get("face_match_score"));
        if (score == null || score < 0 || score > 1) {
            throw malformed("evidence.face_match_score must be a number in [0, 1]");
        }
        String issuer = string(claims, "iss");
        String application = string(claims, "application_id");
        for (String name : List.of("name", "document_type", "document_number", "nationality")) {
            string(person, name);
        }
        String birth = string(person, "birth_date");
        try {
            if (!ISO_DATE.matcher(birth).matches()) {
                throw new DateTimeParseException("", birth, 0);
            }
            LocalDate.parse(birth);
        } catch (DateTimeParseException e) {
            throw malformed("person.birth_date must be a date YYYY-MM-DD");
        }
        boolean chip = bool(evidence, "document_chip_read");
        boolean liveness = bool(evidence, "liveness_passed");
        long checkedAt = timestamp(string(evidence, "checked_at"));
        Double iat = number(claims.get("iat"));
        Double exp = number(claims.get("exp"));
        if (iat == null || exp == null) {
            throw malformed("iat and exp must be NumericDates");
        }
        // the checks
        if (!issuer.equals(expectedIssuer)) {
            throw new ProtocolError("attestation_issuer_mismatch", "issued by another client");
        }
        List<?> audiences = aud instanceof List<?> l ? l : List.of(aud);
        if (!audiences.contains("bizreg")) {
            throw new ProtocolError("attestation_audience_mismatch", "the audience is not bizreg");
        }
        if (exp <= iat) {
            throw malformed("exp is not after iat");
        }
        if (exp - iat > MAX_LIFETIME) {
            throw new ProtocolError("attestation_lifetime_too_long", "exp is more than 10 minutes after iat");
        }
        if (iat > now + clockSkew) {
            throw new ProtocolError("attestation_not_yet_valid", "iat is in the future");
        }
        if (now > exp + clockSkew) {
            throw new ProtocolError("attestation_expired", "the attestation has expired");
        }
        if (!(iat - MAX_LIFETIME <= checkedAt && checkedAt <= exp + clockSkew)) {
            throw malformed("evidence.checked_at lies outside the attestation's validity");
        }
        if (!application.equals(applicationId)) {
            throw new ProtocolError("attestation_wrong_application", "made for another application");
        }
        if (!chip) {
            throw new ProtocolError("document_chip_not_read", "the chip was not read");
        }
        if (!liveness) {
            throw new ProtocolError("liveness_check_failed", "liveness did not pass");
        }
        if (score < faceMatchThreshold) {
            throw new ProtocolError("face_match_below_threshold", "face-match score below the threshold");
        }
        if (jtiSeen != null && jtiSeen.test(jti)) {
            throw new ProtocolError("attestation_replayed", "this jti has already been used");
        }
        return claims;
    }

    private static ProtocolError malformed(String message) {
        return new ProtocolError("attestation_malformed", message);
    }

    private static byte[] decode(String segment, String what) throws ProtocolError {
        if (!BASE64URL.matcher(segment).matches() || segment.length() % 4 == 1) {
            throw malformed("the " + what + " is not base64url");
        }
        try {
            return Base64.getUrlDecoder().decode(segment);
        } catch (IllegalArgumentException e) {
            throw malformed("the " + what + " is not base64url");
        }
    }

    private static Map<String, Object> decodeJson(byte[] raw, String what) throws ProtocolError {
        Object value;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(raw)).toString();
            value = Json.parse(text);
        } catch (java.nio.charset.CharacterCodingException | IllegalArgumentException e) {
            throw malformed("the " + what + " is not JSON");
        }
        if (!(value instanceof Map)) {
            throw malformed("the " + what + " is not a JSON object");
        }
        return Json.object(value);
    }

    private static String biometricPath(Object value, String path) {
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> member : map.entrySet()) {
                String name = String.valueOf(member.getKey());
                String memberPath = path + "." + name;
                String compact = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
                boolean flagged = BIOMETRIC_SUBSTRINGS.stream().anyMatch(compact::contains);
                for (String word : WORD_SPLIT.split(name)) {
                    if (!word.isEmpty() && BIOMETRIC_WORDS.contains(word.toLowerCase(Locale.ROOT))) {
                        flagged = true;
                    }
                }
                if (flagged) {
                    return memberPath;
                }
                String inner = biometricPath(member.getValue(), memberPath);
                if (inner != null) {
                    return inner;
                }
            }
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                String inner = biometricPath(list.get(i), path + "[" + i + "]");
                if (inner != null) {
                    return inner;
                }
            }
        } else if (value instanceof String s && s.length() >= 64) {
            for (String prefix : IMAGE_PREFIXES) {
                if (s.startsWith(prefix)) {
                    return path;
                }
            }
        }
        return null;
    }

    private static Map<String, Object> object(Map<String, Object> claims, String name) throws ProtocolError {
        if (!(claims.get(name) instanceof Map)) {
            throw malformed("claim " + name + " must be an object");
        }
        return Json.object(claims.get(name));
    }

    private static String string(Map<String, Object> claims, String name) throws ProtocolError {
        if (!(claims.get(name) instanceof String value) || value.isBlank()) {
            throw malformed("claim " + name + " must be a non-empty string");
        }
        return value;
    }

    private static boolean bool(Map<String, Object> claims, String name) throws ProtocolError {
        if (!(claims.get(name) instanceof Boolean value)) {
            throw malformed("claim " + name + " must be a boolean");
        }
        return value;
    }

    private static Double number(Object value) {
        return value instanceof BigDecimal number ? number.doubleValue() : null;
    }

    private static long timestamp(String value) throws ProtocolError {
        try {
            return OffsetDateTime.parse(value).toEpochSecond();
        } catch (DateTimeParseException e) {
            throw malformed("checked_at must be an RFC 3339 time with an offset");
        }
    }
}
