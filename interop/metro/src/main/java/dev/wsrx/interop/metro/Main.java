package dev.wsrx.interop.metro;

import java.nio.file.Path;

import dev.wsrx.interop.common.Args;

/**
 * The Eclipse Metro peer of wsrx's interop matrix.
 *
 * <pre>
 * server --wsdl-dir DIR --keys DIR --http-port N --https-port N --capture DIR --delivery-log FILE
 * client --wsdl-dir DIR --keys DIR --capture DIR (--cells FILE | --cell "name profile url count oneway|rr")...
 * </pre>
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) {
            System.err.println("usage: server|client --option value ...");
            System.exit(2);
        }
        Args args = new Args(argv, 1);
        String keys = Path.of(args.require("keys")).toAbsolutePath().toString();
        // Before any Metro class loads: the keystore paths of *-security-env.properties, TLS
        // trust, whole dumps, and no FastInfoset content negotiation on the client.
        System.setProperty("WSIT_HOME", keys);
        System.setProperty("javax.net.ssl.trustStore", Path.of(keys, "truststore.p12").toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        System.setProperty("com.sun.xml.ws.transport.http.HttpAdapter.dumpThreshold", "100000000");
        System.setProperty("com.sun.xml.ws.client.ContentNegotiation", "none");
        // Every profile has the same service and port names: no JMX monitoring (its names collide).
        System.setProperty("com.sun.xml.ws.monitoring.endpoint", "false");
        System.setProperty("com.sun.xml.ws.monitoring.client", "false");
        WireCapture.install();
        switch (argv[0]) {
            case "server" -> MetroServer.run(args);
            case "client" -> System.exit(MetroClient.run(args));
            default -> {
                System.err.println("unknown mode " + argv[0]);
                System.exit(2);
            }
        }
    }
}
