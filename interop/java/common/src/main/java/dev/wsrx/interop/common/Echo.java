package dev.wsrx.interop.common;

import java.io.StringReader;
import java.io.StringWriter;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.Source;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMResult;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.transform.stream.StreamSource;

import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The echo service's messages, as wsrx's echo service writes them (namespace urn:example:echo). */
public final class Echo {
    public static final String NS = "urn:example:echo";
    public static final String ECHO_ACTION = NS + "/Echo";
    public static final String NOTIFY_ACTION = NS + "/Notify";
    public static final String RESPONSE_ACTION = NS + "/EchoResponse";

    private Echo() {
    }

    public static Source request(String text) {
        return element("echo", text);
    }

    public static Source response(String text) {
        return element("echoResponse", text);
    }

    private static Source element(String local, String text) {
        String esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        return new StreamSource(new StringReader(
                "<ns:" + local + " xmlns:ns=\"" + NS + "\"><ns:text>" + esc + "</ns:text></ns:" + local + ">"));
    }

    /** The text of an echo or echoResponse body, or null. */
    public static String textOf(Source source) {
        if (source == null) {
            return null;
        }
        try {
            Node node;
            if (source instanceof DOMSource ds) {
                node = ds.getNode();
            } else {
                DOMResult r = new DOMResult();
                TransformerFactory.newInstance().newTransformer().transform(source, r);
                node = r.getNode();
            }
            Element e = node instanceof org.w3c.dom.Document d ? d.getDocumentElement() : (Element) node;
            NodeList texts = e.getElementsByTagNameNS(NS, "text");
            return texts.getLength() == 0 ? null : texts.item(0).getTextContent();
        } catch (Exception ex) {
            return null;
        }
    }

    public static String toXml(Source source) {
        try {
            StringWriter w = new StringWriter();
            TransformerFactory.newInstance().newTransformer().transform(source, new StreamResult(w));
            return w.toString();
        } catch (Exception ex) {
            return "(unreadable: " + ex + ")";
        }
    }

    static {
        // keep DocumentBuilderFactory loaded from the JDK, not from a stack's endorsed parser
        DocumentBuilderFactory.newInstance();
    }
}
