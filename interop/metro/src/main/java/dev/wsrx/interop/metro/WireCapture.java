package dev.wsrx.interop.metro;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import dev.wsrx.interop.common.Capture;

/**
 * Metro's transport dumps (HttpTransportPipe on the client, HttpAdapter on the server: the bytes
 * after security on the way out, before it on the way in, RM and WS-Trust messages included),
 * taken from their FINER log records and written one file per message. Metro's dump joins the
 * lines of a message (it reads the body line by line and writes it without the line breaks).
 */
final class WireCapture extends Handler {
    private static final WireCapture INSTANCE = new WireCapture();
    /** Where the current cell's (client) or endpoint's (server) messages go. */
    static volatile Capture clientTarget;
    static final ThreadLocal<Capture> SERVER_TARGET = new ThreadLocal<>();
    static volatile Capture serverFallback;
    // Loggers are held so that their level sticks.
    private static final Logger CLIENT = Logger.getLogger("com.sun.xml.ws.transport.http.client.HttpTransportPipe");
    private static final Logger SERVER = Logger.getLogger("com.sun.xml.ws.transport.http.HttpAdapter");

    static void install() {
        for (Logger l : new Logger[] {CLIENT, SERVER}) {
            l.setLevel(Level.FINER);
            l.addHandler(INSTANCE);
            l.setUseParentHandlers(false);
        }
        INSTANCE.setLevel(Level.FINER);
    }

    @Override
    public void publish(LogRecord record) {
        String msg = record.getMessage();
        if (msg == null || !msg.startsWith("---[")) {
            if (record.getLevel().intValue() >= Level.INFO.intValue()) {
                System.err.println(record.getLevel() + " " + record.getLoggerName() + ": " + msg
                        + (record.getThrown() == null ? "" : " " + record.getThrown()));
            }
            return;
        }
        int end = msg.indexOf("]---");
        String caption = msg.substring(4, end);
        String rest = msg.substring(end + 4);
        int blank = rest.indexOf("\n\n");
        String headers = blank < 0 ? "" : rest.substring(0, blank);
        String body = blank < 0 ? rest : rest.substring(blank).strip();
        if (body.endsWith("--------------------")) {
            body = body.substring(0, body.length() - 20).strip();
        }
        boolean client = record.getLoggerName().endsWith("HttpTransportPipe");
        boolean request = caption.startsWith("HTTP request");
        String direction = client ? (request ? "REQ_OUT" : "RESP_IN") : (request ? "REQ_IN" : "RESP_OUT");
        String address = null;
        if (client) {
            String[] p = caption.split(" - ");
            address = p.length > 1 ? p[1] : null;
        }
        String contentType = header(headers, "content-type");
        String action = header(headers, "soapaction");
        Capture target = client ? clientTarget : SERVER_TARGET.get();
        if (target == null) {
            target = client ? null : serverFallback;
        }
        if (target != null) {
            target.write(direction, address == null ? caption : address, contentType, action, body);
        }
    }

    private static String header(String headers, String name) {
        for (String line : headers.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
                return line.substring(c + 1).trim();
            }
        }
        return null;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
