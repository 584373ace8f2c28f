package bizreg;

/** The authority's webhook retry schedule: exponential, capped, with jitter. */
public final class Webhooks {
    private Webhooks() {}

    /** Seconds before retry `attempt` (1 = the first retry); `fraction` uniform in [0, 1). */
    public static double retryDelay(int attempt, double baseSeconds, double capSeconds, double fraction, String mode) {
        if (attempt < 1 || baseSeconds <= 0 || capSeconds <= 0 || fraction < 0 || fraction >= 1) {
            throw new IllegalArgumentException("bad retry parameters");
        }
        double ceiling = Math.min(capSeconds, baseSeconds * Math.pow(2.0, Math.min(attempt - 1, 64)));
        return switch (mode) {
            case "full" -> ceiling * fraction;
            case "equal" -> ceiling / 2 + (ceiling / 2) * fraction;
            default -> throw new IllegalArgumentException("unknown jitter mode " + mode);
        };
    }
}
