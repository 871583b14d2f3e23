package dev.wsrx.interop.cxf;

import java.net.URI;

import dev.wsrx.interop.common.Capture;
import org.apache.cxf.ext.logging.LoggingFeature;
import org.apache.cxf.ext.logging.event.LogEvent;
import org.apache.cxf.ext.logging.event.LogEventSender;

/**
 * Sends CXF's logging events (the bytes on the wire: RM protocol, RST/RSTR and application
 * messages, after WS-Security on the way out and before it on the way in) to files.
 */
final class CaptureSender implements LogEventSender {
    private final Capture capture;
    private final boolean perEndpoint;
    private final java.util.Map<String, Capture> byEndpoint = new java.util.concurrent.ConcurrentHashMap<>();

    CaptureSender(Capture capture, boolean perEndpoint) {
        this.capture = capture;
        this.perEndpoint = perEndpoint;
    }

    static LoggingFeature feature(Capture capture, boolean perEndpoint) {
        LoggingFeature f = new LoggingFeature();
        f.setSender(new CaptureSender(capture, perEndpoint));
        f.setLimit(Integer.MAX_VALUE);
        f.setInMemThreshold(64L * 1024 * 1024);
        f.setPrettyLogging(false);
        f.setLogBinary(true);
        f.setLogMultipart(true);
        return f;
    }

    @Override
    public void send(LogEvent event) {
        String action = event.getHeaders() == null ? null : event.getHeaders().get("SOAPAction");
        target(event).write(event.getType().name(), event.getAddress(), event.getContentType(), action,
                event.getPayload());
    }

    private Capture target(LogEvent event) {
        if (!perEndpoint || event.getAddress() == null) {
            return capture;
        }
        String path;
        try {
            path = URI.create(event.getAddress()).getPath();
        } catch (IllegalArgumentException e) {
            path = null;
        }
        String name = path == null || path.length() <= 1 ? "root" : path.substring(1).replace('/', '_');
        return byEndpoint.computeIfAbsent(name, n -> new Capture(capture.dir().resolve(n)));
    }
}
