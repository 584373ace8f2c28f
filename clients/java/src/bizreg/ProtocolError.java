package bizreg;

/** A refusal with the protocol's machine-readable code (docs/terminal-protocol.md). */
public final class ProtocolError extends Exception {
    private static final long serialVersionUID = 1L;
    public final String code;

    public ProtocolError(String code, String message) {
        super(code + ": " + message);
        this.code = code;
    }
}
