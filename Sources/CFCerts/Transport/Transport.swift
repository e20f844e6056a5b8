import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An HTTP answer, whatever its status.
struct APIResponse: Sendable {
    var status: Int
    var headers: ResponseHeaders
    var body: [UInt8]
    var rayID: String? { headers.first("cf-ray") }
}

/// Sends `APIRequest`s: authentication, user agent, timeouts, size cap, retries, logging.
/// One `HTTPClient` (connection pool) per transport, on the shared event loop group.
final class Transport: Sendable {
    let configuration: Configuration
    private let baseURL: String
    private let http: HTTPClient
    private let retryPolicy: RetryPolicy
    private let isShutDown = Mutex(false)

    init(configuration: Configuration) throws(CFCertsError) {
        try configuration.validate()
        self.configuration = configuration
        self.baseURL = try BaseURL(configuration.baseURL, allowInsecureHTTP: configuration.allowInsecureHTTP).string
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
        // Never follow a redirect: it could carry the credentials to another host.
        httpConfiguration.redirectConfiguration = .disallow
        self.http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: httpConfiguration)
        self.retryPolicy = RetryPolicy(
            maxRetries: configuration.maxRetries, maxRetryAfter: configuration.maxRetryAfter,
            initialBackoff: configuration.initialBackoff, maxBackoff: configuration.maxBackoff)
    }

    /// Closes every connection. The transport cannot be used afterwards.
    func shutdown() async throws {
        guard isShutDown.withLock({ shutDown in defer { shutDown = true }; return !shutDown }) else { return }
        let _: Void = try await http.shutdown()
    }

    /// A transport released without `shutdown()` closes its pool in the background (the HTTP client would
    /// otherwise stop the process in its own deinit).
    deinit {
        guard !isShutDown.withLock({ $0 }) else { return }
        let http = self.http
        Task.detached { let _: Void? = try? await http.shutdown() }
    }

    /// Sends `request`, retrying as `RetryPolicy` allows. Returns the last answer whatever its status; throws
    /// for failures with no answer (connection, timeout, cancellation).
    func send(_ request: APIRequest) async throws(CFCertsError) -> APIResponse {
        var attempt = 0
        while true {
            guard !Task.isCancelled else { throw .cancelled() }
            let delay: Duration
            do {
                let response = try await attemptOnce(request, attempt: attempt)
                if (200..<300).contains(response.status) { return response }
                let verdict = retryPolicy.verdict(status: response.status, headers: response.headers, request: request, attempt: attempt)
                guard case .retry(let after) = verdict else { return response }
                delay = after
            } catch let failure as TransportFailure {
                let verdict = retryPolicy.verdict(transportFailure: failure.mayHaveReachedServer, request: request, attempt: attempt)
                guard failure.isRetryable, case .retry(let after) = verdict else { throw failure.error }
                delay = after
            } catch {
                throw CFCertsError(kind: .connection, message: "unexpected failure: \(type(of: error))")
            }
            configuration.logger.debug("retrying in \(delay)", metadata: ["attempt": "\(attempt + 1)"])
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw .cancelled()
            }
            attempt += 1
        }
    }

    private struct TransportFailure: Error {
        var error: CFCertsError
        /// False only when the connection was never opened: then even a create is safe to retry.
        var mayHaveReachedServer: Bool
        /// False for failures a retry cannot mend (cancellation, an oversized answer).
        var isRetryable = true
    }

    private func attemptOnce(_ request: APIRequest, attempt: Int) async throws -> APIResponse {
        var url = baseURL + request.encodedPath
        if !request.query.isEmpty { url += "?" + request.encodedQuery }
        var httpRequest = HTTPClientRequest(url: url)
        httpRequest.method = HTTPMethod(rawValue: request.method.rawValue)
        httpRequest.headers.add(name: "User-Agent", value: configuration.userAgent)
        httpRequest.headers.add(name: "Accept", value: "application/json")
        for (name, value) in configuration.credentials.headers { httpRequest.headers.add(name: name, value: value) }
        if let body = request.body {
            httpRequest.headers.add(name: "Content-Type", value: "application/json")
            httpRequest.body = .bytes(ByteBuffer(bytes: body))
        }
        let logger = configuration.logger
        if logger.logLevel <= .debug {
            logger.debug("request \(request.method.rawValue) \(url)", metadata: [
                "attempt": "\(attempt + 1)", "headers": "\(Self.redacted(httpRequest.headers))",
            ])
        }
        let started = ContinuousClock.now
        do {
            let deadline = NIODeadline.now() + .nanoseconds(Int64(configuration.requestTimeout.nanoseconds))
            let response = try await http.execute(httpRequest, deadline: deadline, logger: nil)
            let body = try await response.body.collect(upTo: configuration.maxResponseBytes)
            let headers = ResponseHeaders(response.headers.map { (name: $0.name, value: $0.value) })
            let answer = APIResponse(status: Int(response.status.code), headers: headers, body: Array(body.readableBytesView))
            logger.debug("response \(answer.status) \(request.method.rawValue) \(url)", metadata: [
                "elapsed": "\(ContinuousClock.now - started)", "cf-ray": "\(answer.rayID ?? "-")",
                "bytes": "\(answer.body.count)",
            ])
            return answer
        } catch {
            let failure = Self.classify(error, timeout: configuration.requestTimeout, maxBytes: configuration.maxResponseBytes)
            logger.debug("failed \(request.method.rawValue) \(url): \(failure.error.message)")
            throw failure
        }
    }

    /// Maps an HTTP client error to a `CFCertsError`, and tells whether the request may have reached the server.
    private static func classify(_ error: any Error, timeout: Duration, maxBytes: Int) -> TransportFailure {
        if error is CancellationError {
            return TransportFailure(error: .cancelled(), mayHaveReachedServer: true, isRetryable: false)
        }
        if error is NIOTooManyBytesError {
            return TransportFailure(
                error: CFCertsError(kind: .decoding, message: "the response is larger than \(maxBytes) bytes"),
                mayHaveReachedServer: true, isRetryable: false)
        }
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .cancelled:
                return TransportFailure(error: .cancelled(), mayHaveReachedServer: true, isRetryable: false)
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return TransportFailure(
                    error: CFCertsError(kind: .timeout, message: "no complete answer within \(timeout)"),
                    mayHaveReachedServer: true)
            case .connectTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout, .tlsHandshakeTimeout:
                return TransportFailure(
                    error: CFCertsError(kind: .timeout, message: "could not connect in time"), mayHaveReachedServer: false)
            default:
                return TransportFailure(
                    error: CFCertsError(kind: .connection, message: "\(clientError)"), mayHaveReachedServer: true)
            }
        }
        if let connectError = error as? NIOConnectionError {
            let reason = connectError.connectionErrors.first.map { "\($0.error)" } ?? "no address"
            return TransportFailure(
                error: CFCertsError(kind: .connection, message: "could not connect to \(connectError.host):\(connectError.port) (\(reason))"),
                mayHaveReachedServer: false)
        }
        if let ioError = error as? IOError, ioError.errnoCode == ECONNREFUSED {
            return TransportFailure(error: CFCertsError(kind: .connection, message: "connection refused"), mayHaveReachedServer: false)
        }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return TransportFailure(error: CFCertsError(kind: .timeout, message: "could not connect in time"), mayHaveReachedServer: false)
        }
        return TransportFailure(
            error: CFCertsError(kind: .connection, message: "connection failed (\(type(of: error)))"), mayHaveReachedServer: true)
    }

    /// Header names and values for the log, with every credential header's value replaced.
    static func redacted(_ headers: HTTPHeaders) -> String {
        headers.map { name, value in
            Credentials.secretHeaderNames.contains(name.lowercased()) ? "\(name): <redacted>" : "\(name): \(value)"
        }.joined(separator: ", ")
    }
}

extension Duration {
    var nanoseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
