package bizreg;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * The two key types of the protocol: Ed25519 and ECDSA P-256, as PEM (SubjectPublicKeyInfo for
 * public keys, PKCS#8 for private ones). Signatures are raw: Ed25519's 64 bytes; for P-256, r
 * and s as 32-byte big-endian integers concatenated (IEEE P1363; RFC 9421 §3.3.4, RFC 7518
 * §3.4), never DER. The key, not the message, decides the algorithm.
 */
public final class Keys {
    private Keys() {}

    public static byte[] pemBody(String pem) {
        StringBuilder base64 = new StringBuilder();
        for (String line : pem.split("\n")) {
            if (!line.startsWith("-----") && !line.isBlank()) {
                base64.append(line.trim());
            }
        }
        return Base64.getDecoder().decode(base64.toString());
    }

    public static PublicKey publicKey(String pem) throws GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(pemBody(pem));
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(spec);
        } catch (GeneralSecurityException notEd25519) {
            return KeyFactory.getInstance("EC").generatePublic(spec);
        }
    }

    public static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pemBody(pem));
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(spec);
        } catch (GeneralSecurityException notEd25519) {
            return KeyFactory.getInstance("EC").generatePrivate(spec);
        }
    }

    public static boolean isEcdsa(java.security.Key key) {
        return key instanceof ECKey;
    }

    /** The RFC 9421 algorithm name for a key. */
    public static String httpAlgorithm(java.security.Key key) {
        return isEcdsa(key) ? "ecdsa-p256-sha256" : "ed25519";
    }

    /** The JWS algorithm name for a key (RFC 8037 §3.1, RFC 7518 §3.4). */
    public static String jwsAlgorithm(java.security.Key key) {
        return isEcdsa(key) ? "ES256" : "EdDSA";
    }

    private static String jcaName(java.security.Key key) {
        return isEcdsa(key) ? "SHA256withECDSAinP1363Format" : "Ed25519";
    }

    public static byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
        Signature signer = Signature.getInstance(jcaName(key));
        signer.initSign(key);
        signer.update(data);
        return signer.sign();
    }

    public static boolean verify(PublicKey key, byte[] signature, byte[] data) {
        try {
            if (isEcdsa(key) && signature.length != 64) {
                return false; // a DER signature: the protocol wants raw r||s
            }
            Signature verifier = Signature.getInstance(jcaName(key));
            verifier.initVerify(key);
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }
}
