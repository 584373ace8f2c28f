package bizreg;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RFC 9651 (Structured Field Values) Dictionaries: what Signature-Input, Signature and
 * Content-Digest are. Items are Long, BigDecimal, String, Token, byte[] or Boolean; a member is
 * an {@link Item} or an {@link InnerList}, each with ordered parameters. A key repeated at the
 * top level or among parameters is refused (RFC 9651 keeps the last; two signatures under one
 * label are ambiguous, so the protocol refuses).
 */
public final class StructuredFields {
    private StructuredFields() {}

    public record Token(String value) {}

    public record Item(Object value, Map<String, Object> params) {}

    public record InnerList(List<Item> items, Map<String, Object> params) {}

    public static Map<String, Object> parseDictionary(String input) {
        Parser p = new Parser(input);
        p.skipSpaces();
        Map<String, Object> result = new LinkedHashMap<>();
        if (p.done()) {
            return result;
        }
        while (true) {
            String key = p.key();
            Object member;
            if (!p.done() && p.peek() == '=') {
                p.at++;
                member = p.itemOrInnerList();
            } else {
                member = new Item(Boolean.TRUE, p.parameters());
            }
            if (result.containsKey(key)) {
                throw new IllegalArgumentException("repeated key " + key);
            }
            result.put(key, member);
            p.skipOws();
            if (p.done()) {
                return result;
            }
            if (p.peek() != ',') {
                throw new IllegalArgumentException("expected , at " + p.at);
            }
            p.at++;
            p.skipOws();
            if (p.done()) {
                throw new IllegalArgumentException("trailing comma");
            }
        }
    }

    /** RFC 9651 §4.1.6 String serialization (printable ASCII; escapes for \ and "). */
    public static String serializeString(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("not serializable as a String");
            }
            if (c == '\\' || c == '"') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append('"').toString();
    }

    public static String serializeBareItem(Object value) {
        if (value instanceof Boolean) {
            return ((Boolean) value) ? "?1" : "?0";
        }
        if (value instanceof Long) {
            return value.toString();
        }
        if (value instanceof String) {
            return serializeString((String) value);
        }
        if (value instanceof Token) {
            return ((Token) value).value();
        }
        if (value instanceof byte[]) {
            return ":" + Base64.getEncoder().encodeToString((byte[]) value) + ":";
        }
        if (value instanceof BigDecimal) {
            return ((BigDecimal) value).toPlainString();
        }
        throw new IllegalArgumentException("cannot serialize " + value);
    }

    public static String serializeParameters(Map<String, Object> params) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Object> p : params.entrySet()) {
            out.append(';').append(p.getKey());
            if (!Boolean.TRUE.equals(p.getValue())) {
                out.append('=').append(serializeBareItem(p.getValue()));
            }
        }
        return out.toString();
    }

    private static final class Parser {
        final String s;
        int at;

        Parser(String s) {
            this.s = s;
        }

        boolean done() {
            return at >= s.length();
        }

        char peek() {
            return s.charAt(at);
        }

        void skipSpaces() {
            while (!done() && peek() == ' ') {
                at++;
            }
        }

        void skipOws() {
            while (!done() && (peek() == ' ' || peek() == '\t')) {
                at++;
            }
        }

        String key() {
            if (done() || !(isLcAlpha(peek()) || peek() == '*')) {
                throw new IllegalArgumentException("expected a key at " + at);
            }
            int start = at;
            while (!done() && (isLcAlpha(peek()) || isDigit(peek()) || "_-.*".indexOf(peek()) >= 0)) {
                at++;
            }
            return s.substring(start, at);
        }

        Object itemOrInnerList() {
            if (!done() && peek() == '(') {
                at++;
                List<Item> items = new ArrayList<>();
                while (true) {
                    skipSpaces();
                    if (done()) {
                        throw new IllegalArgumentException("unterminated inner list");
                    }
                    if (peek() == ')') {
                        at++;
                        return new InnerList(items, parameters());
                    }
                    items.add(new Item(bareItem(), parameters()));
                    if (done() || (peek() != ' ' && peek() != ')')) {
                        throw new IllegalArgumentException("bad inner list at " + at);
                    }
                }
            }
            return new Item(bareItem(), parameters());
        }

        Map<String, Object> parameters() {
            Map<String, Object> params = new LinkedHashMap<>();
            while (!done() && peek() == ';') {
                at++;
                skipSpaces();
                String key = key();
                Object value = Boolean.TRUE;
                if (!done() && peek() == '=') {
                    at++;
                    value = bareItem();
                }
                if (params.containsKey(key)) {
                    throw new IllegalArgumentException("repeated parameter " + key);
                }
                params.put(key, value);
            }
            return params;
        }

        Object bareItem() {
            if (done()) {
                throw new IllegalArgumentException("expected an item");
            }
            char c = peek();
            if (c == '-' || isDigit(c)) {
                return number();
            }
            if (c == '"') {
                return string();
            }
            if (c == ':') {
                return bytes();
            }
            if (c == '?') {
                at++;
                if (done()) {
                    throw new IllegalArgumentException("bad boolean");
                }
                char b = s.charAt(at++);
                if (b == '1') {
                    return Boolean.TRUE;
                }
                if (b == '0') {
                    return Boolean.FALSE;
                }
                throw new IllegalArgumentException("bad boolean");
            }
            if (isAlpha(c) || c == '*') {
                int start = at;
                while (!done() && (isTchar(peek()) || peek() == ':' || peek() == '/')) {
                    at++;
                }
                return new Token(s.substring(start, at));
            }
            throw new IllegalArgumentException("unexpected " + c + " at " + at);
        }

        Object number() {
            int start = at;
            if (peek() == '-') {
                at++;
            }
            boolean decimal = false;
            while (!done() && (isDigit(peek()) || (peek() == '.' && !decimal))) {
                if (peek() == '.') {
                    decimal = true;
                }
                at++;
            }
            String lexeme = s.substring(start, at);
            String digits = lexeme.replace("-", "").replace(".", "");
            if (digits.isEmpty() || (!decimal && digits.length() > 15) || lexeme.endsWith(".")) {
                throw new IllegalArgumentException("bad number " + lexeme);
            }
            if (decimal) {
                String[] parts = lexeme.replace("-", "").split("\\.");
                if (parts[0].length() > 12 || parts[1].length() > 3) {
                    throw new IllegalArgumentException("bad decimal " + lexeme);
                }
                return new BigDecimal(lexeme);
            }
            return Long.parseLong(lexeme);
        }

        String string() {
            at++;
            StringBuilder out = new StringBuilder();
            while (!done()) {
                char c = s.charAt(at++);
                if (c == '\\') {
                    if (done()) {
                        break;
                    }
                    char e = s.charAt(at++);
                    if (e != '"' && e != '\\') {
                        throw new IllegalArgumentException("bad escape");
                    }
                    out.append(e);
                } else if (c == '"') {
                    return out.toString();
                } else if (c < 0x20 || c > 0x7e) {
                    throw new IllegalArgumentException("bad character in string");
                } else {
                    out.append(c);
                }
            }
            throw new IllegalArgumentException("unterminated string");
        }

        byte[] bytes() {
            at++;
            int start = at;
            while (!done() && peek() != ':') {
                char c = peek();
                if (!(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=')) {
                    throw new IllegalArgumentException("bad byte sequence");
                }
                at++;
            }
            if (done()) {
                throw new IllegalArgumentException("unterminated byte sequence");
            }
            String encoded = s.substring(start, at);
            at++;
            return Base64.getDecoder().decode(encoded);
        }

        static boolean isLcAlpha(char c) {
            return c >= 'a' && c <= 'z';
        }

        static boolean isAlpha(char c) {
            return isLcAlpha(c) || (c >= 'A' && c <= 'Z');
        }

        static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        static boolean isTchar(char c) {
            return isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }
    }
}
