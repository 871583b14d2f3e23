package dev.wsrx.interop.metro;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.xml.namespace.QName;
import javax.xml.transform.Source;
import javax.xml.transform.stream.StreamSource;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.wsrx.interop.common.Args;
import dev.wsrx.interop.common.Capture;
import dev.wsrx.interop.common.DeliveryLog;
import dev.wsrx.interop.common.Echo;
import jakarta.xml.ws.Endpoint;
import jakarta.xml.ws.soap.SOAPBinding;

/**
 * Publishes every profile of the wsdl folder at its own path on the JDK's HTTP server (one
 * port) and HTTPS server (one port, for the "ut-tls" profiles), in one JVM. Each endpoint is a
 * stock JAX-WS Provider whose WSDL (policy included) is given to Metro as its metadata.
 */
final class MetroServer {
    static final QName SERVICE = new QName(Echo.NS, "EchoService");
    static final QName PORT = new QName(Echo.NS, "EchoPort");

    private MetroServer() {
    }

    static void run(Args args) throws Exception {
        String keys = args.require("keys");
        Path wsdlDir = Path.of(args.require("wsdl-dir"));
        int httpPort = args.getInt("http-port", 18281);
        int httpsPort = args.getInt("https-port", 18543);
        String host = args.get("host", "127.0.0.1");
        Path captureRoot = Path.of(args.require("capture"));
        WireCapture.serverFallback = new Capture(captureRoot.resolve("other"));
        DeliveryLog log = new DeliveryLog(Path.of(args.require("delivery-log")));

        HttpServer http = HttpServer.create(new InetSocketAddress(host, httpPort), 64);
        http.setExecutor(Executors.newCachedThreadPool());
        HttpsServer https = HttpsServer.create(new InetSocketAddress(host, httpsPort), 64);
        https.setHttpsConfigurator(new HttpsConfigurator(sslContext(keys)));
        https.setExecutor(Executors.newCachedThreadPool());

        List<Path> wsdls;
        try (Stream<Path> s = Files.list(wsdlDir)) {
            wsdls = s.filter(p -> p.toString().endsWith(".wsdl")).sorted().toList();
        }
        List<String> published = new ArrayList<>();
        for (Path wsdl : wsdls) {
            String profile = wsdl.getFileName().toString().replaceFirst("\\.wsdl$", "");
            boolean tls = profile.startsWith("ut-tls");
            String binding = profile.endsWith("soap12") ? SOAPBinding.SOAP12HTTP_BINDING : SOAPBinding.SOAP11HTTP_BINDING;
            Endpoint ep = Endpoint.create(binding, new EchoEndpoint(profile, log));
            StreamSource meta = new StreamSource(wsdl.toUri().toString());
            ep.setMetadata(List.<Source>of(meta));
            Map<String, Object> props = new HashMap<>();
            props.put(Endpoint.WSDL_SERVICE, SERVICE);
            props.put(Endpoint.WSDL_PORT, PORT);
            ep.setProperties(props);
            HttpContext ctx = (tls ? https : http).createContext("/" + profile);
            Capture capture = new Capture(captureRoot.resolve(profile));
            ctx.getFilters().add(new Filter() {
                @Override
                public void doFilter(HttpExchange exchange, Chain chain) throws java.io.IOException {
                    WireCapture.SERVER_TARGET.set(capture);
                    try {
                        chain.doFilter(exchange);
                    } finally {
                        WireCapture.SERVER_TARGET.remove();
                    }
                }

                @Override
                public String description() {
                    return "wire capture of " + profile;
                }
            });
            ep.publish(ctx);
            published.add((tls ? "https://" + host + ":" + httpsPort : "http://" + host + ":" + httpPort) + "/" + profile);
        }
        http.start();
        https.start();
        for (String a : published) {
            System.out.println("ENDPOINT " + a);
        }
        System.out.println("READY http=" + httpPort + " https=" + httpsPort);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static SSLContext sslContext(String keys) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(keys, "server.p12"))) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
