package dev.wsrx.interop.cxf;

import dev.wsrx.interop.common.Args;

/**
 * The Apache CXF peer of wsrx's interop matrix.
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
        Keys.installTrust(args.require("keys"));
        switch (argv[0]) {
            case "server" -> CxfServer.run(args);
            case "client" -> System.exit(CxfClient.run(args));
            default -> {
                System.err.println("unknown mode " + argv[0]);
                System.exit(2);
            }
        }
    }
}
