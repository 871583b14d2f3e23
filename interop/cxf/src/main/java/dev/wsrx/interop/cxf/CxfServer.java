package dev.wsrx.interop.cxf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.xml.namespace.QName;

import dev.wsrx.interop.common.Capture;
import dev.wsrx.interop.common.DeliveryLog;
import dev.wsrx.interop.common.Echo;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.configuration.jsse.TLSServerParameters;
import org.apache.cxf.jaxws.EndpointImpl;
import org.apache.cxf.transport.http_jetty.JettyHTTPServerEngineFactory;
import org.apache.cxf.ws.rm.RMConfiguration;
import org.apache.cxf.ws.rm.RMManager;

/**
 * Publishes every profile of the wsdl folder at its own path, on one HTTP port (and one HTTPS
 * port for the profiles whose name starts with "ut-tls"), in one JVM. Each endpoint is a stock
 * JAX-WS Provider configured only by its WSDL's policy plus the keystore and password
 * properties.
 */
final class CxfServer {
    static final QName SERVICE = new QName(Echo.NS, "EchoService");
    static final QName PORT = new QName(Echo.NS, "EchoPort");

    private CxfServer() {
    }

    static void run(dev.wsrx.interop.common.Args args) throws Exception {
        String keys = args.require("keys");
        Path wsdlDir = Path.of(args.require("wsdl-dir"));
        int httpPort = args.getInt("http-port", 18181);
        int httpsPort = args.getInt("https-port", 18443);
        String host = args.get("host", "127.0.0.1");
        Capture capture = new Capture(Path.of(args.require("capture")));
        DeliveryLog log = new DeliveryLog(Path.of(args.require("delivery-log")));

        Bus bus = BusFactory.newInstance().createBus();
        BusFactory.setDefaultBus(bus);
        BusFactory.setThreadDefaultBus(bus);
        CaptureSender.feature(capture, true).initialize(bus);
        // WS-RM 1.0 policy (2005/02) cannot say "in order" (WCF's netrm:Ordered is Microsoft's):
        // a CXF user sets the destination's delivery assurance on the RM manager, as here. The
        // WS-RM 1.1 profiles say it in their policy (wsrmp:DeliveryAssurance).
        RMManager rm = bus.getExtension(RMManager.class);
        rm.getConfiguration().setDeliveryAssurance(RMConfiguration.DeliveryAssurance.EXACTLY_ONCE);
        rm.getConfiguration().setInOrder(true);

        TLSServerParameters tls = new TLSServerParameters();
        tls.setKeyManagers(Keys.serverKeyManagers(keys).getKeyManagers());
        bus.getExtension(JettyHTTPServerEngineFactory.class).setTLSServerParametersForPort(httpsPort, tls);

        List<String> published = new ArrayList<>();
        List<Path> wsdls;
        try (Stream<Path> s = Files.list(wsdlDir)) {
            wsdls = s.filter(p -> p.toString().endsWith(".wsdl")).sorted().toList();
        }
        for (Path wsdl : wsdls) {
            String profile = wsdl.getFileName().toString().replaceFirst("\\.wsdl$", "");
            boolean tlsProfile = profile.startsWith("ut-tls");
            String address = (tlsProfile ? "https://" + host + ":" + httpsPort : "http://" + host + ":" + httpPort)
                    + "/" + profile;
            EndpointImpl ep = new EndpointImpl(bus, new EchoEndpoint(profile, log));
            ep.setWsdlLocation(wsdl.toUri().toString());
            ep.setServiceName(SERVICE);
            ep.setEndpointName(PORT);
            ep.setProperties(securityProperties(keys));
            ep.publish(address);
            published.add(address);
        }
        for (String a : published) {
            System.out.println("ENDPOINT " + a);
        }
        System.out.println("READY http=" + httpPort + " https=" + httpsPort);
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> bus.shutdown(true)));
        Thread.currentThread().join();
    }

    static Map<String, Object> securityProperties(String keys) {
        return Map.of(
                "security.signature.properties", Keys.merlin(keys, "server.p12", "server"),
                "security.signature.username", "server",
                "security.encryption.properties", Keys.merlin(keys, "server.p12", "server"),
                "security.callback-handler", new Keys.Passwords());
    }
}
