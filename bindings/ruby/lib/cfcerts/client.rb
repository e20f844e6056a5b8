# frozen_string_literal: true

require "json"

module Cfcerts
  # A connection to the Cloudflare API (or anything speaking it). Safe to share between threads; calls release
  # the GVL while they wait for the network.
  #
  # Every option left nil comes from the environment, as the official SDKs read it: CLOUDFLARE_API_TOKEN, else
  # CLOUDFLARE_API_TOKEN_FILE (a file whose one line is the token), else CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL,
  # else CLOUDFLARE_API_USER_SERVICE_KEY; CLOUDFLARE_BASE_URL.
  # timeout: seconds for one attempt (default 60); total_timeout: a whole call with its retries; max_retries:
  # retries after the first attempt (default 2, 0 for none).
  # pacing: the credential's request budget the calls of this process share and wait for instead of drawing a
  # 429: "off", "REQUESTS/SECONDS" or [requests, seconds] (default: Cloudflare's 1200/300, then what the API's
  # Ratelimit headers say; one you set is a ceiling, which those headers may lower, never raise; 1 to
  # 1000000000 requests per 1 to 86400 seconds). A call that cannot get budget before total_timeout (or within
  # 60 s) raises RateLimited at once, with retry_after set.
  class Client
    attr_reader :client_certificates, :certificate_authorities, :fleet

    # A client for the block's duration, closed afterwards whatever happens.
    def self.open(**options)
      client = new(**options)
      begin
        yield client
      ensure
        client.close
      end
    end

    def initialize(api_token: nil, api_email: nil, api_key: nil, user_service_key: nil, base_url: nil, timeout: nil,
                   connect_timeout: nil, total_timeout: nil, max_retries: nil, user_agent_suffix: nil, pacing: nil)
      options = Library::ClientOptions.new
      options[:version] = Library::OPTIONS_VERSION
      keep = [] # the C strings must outlive cfcerts_client_new
      { api_token: api_token, api_email: api_email, api_key: api_key, user_service_key: user_service_key,
        base_url: base_url, user_agent_suffix: user_agent_suffix }.each do |field, value|
        text = Arguments.optional_text(value, field.to_s)
        next unless text

        keep << FFI::MemoryPointer.from_string(text)
        options[field] = keep.last
      end
      options[:request_timeout_ms] = Arguments.milliseconds(timeout, "timeout")
      options[:connect_timeout_ms] = Arguments.milliseconds(connect_timeout, "connect_timeout")
      options[:total_timeout_ms] = Arguments.milliseconds(total_timeout, "total_timeout")
      unless max_retries.nil?
        retries = Arguments.integer(max_retries, "max_retries")
        raise InvalidArgument, "max_retries must be 0 or more" if retries.negative?

        options[:max_retries] = retries.zero? ? Library::NO_RETRIES : [retries, Arguments::INT_MAX].min
      end
      options[:pacing_requests], options[:pacing_window_seconds] = Arguments.pacing(pacing)
      out = FFI::MemoryPointer.new(:pointer)
      code = Library.cfcerts_client_new(out, options)
      raise Cfcerts.last_error(code) unless code.zero?

      @handle = FFI::AutoPointer.new(out.read_pointer, Library.method(:cfcerts_client_free))
      @calls = 0
      @lock = Mutex.new
      @idle = ConditionVariable.new
      @client_certificates = ClientCertificates.new(self)
      @certificate_authorities = CertificateAuthorities.new(self)
      @fleet = Fleet.new(self)
      Cfcerts.track_for_fork(self)
    end

    # Closes the connections once every call in flight has returned. Idempotent; open enumerators keep working.
    def close
      handle = @lock.synchronize do
        taken, @handle = @handle, nil
        @idle.wait(@lock) while @calls.positive?
        taken
      end
      handle&.free
      nil
    end

    def closed? = @handle.nil?

    # @api private: runs the block with the C handle, counted as a call in flight.
    def with_handle
      handle = @lock.synchronize do
        raise InvalidArgument, "the client is closed" unless @handle

        @calls += 1
        @handle
      end
      begin
        yield handle
      ensure
        @lock.synchronize do
          @calls -= 1
          @idle.broadcast if @calls.zero?
        end
      end
    end

    # @api private: cfcerts_<function>(&out, client, *args) parsed as JSON, or the error raised.
    # Thread#raise, Thread#kill and Timeout.timeout end it (see Cfcerts.interruptible).
    def call_json(function, *args)
      with_handle do |handle|
        text = Cfcerts.interruptible do
          code, text = Library.call_for_string(function, handle, *args)
          raise Cfcerts.last_error(code) unless code.zero?

          text
        end
        Cfcerts.parse_json(text)
      end
    end

    # @api private: in a child of fork() the calls counted in flight belonged to threads that do not exist there.
    def reset_after_fork
      @calls = 0
      @lock = Mutex.new
      @idle = ConditionVariable.new
    end
  end

  # One pass over a zone's certificates: a C iterator used by one thread at a time and never after its free.
  class Listing
    def initialize(client, zone, params)
      @lock = Mutex.new
      @iterator = Cfcerts.native_handle(client, :iter, zone, params)
    end

    # The next certificate, nil at the end (the listing is then freed). A page crosses from the library at once:
    # one interruptible call a page.
    def next_certificate
      @lock.synchronize do
        @buffer = next_page if @buffer.nil? || @buffer.empty?
        @buffer&.shift
      end
    end

    def close
      @lock.synchronize { free_iterator }
    end

    private

    # With the lock held: the rest of the current page, nil at the end. An error or an interruption (the listing
    # is then over) frees the iterator.
    def next_page
      iterator = @iterator
      return nil unless iterator

      text = Cfcerts.interruptible do
        code, text = Library.call_for_string(:cfcerts_iter_next_page, iterator)
        next nil if code == Library::ITEROVER
        raise Cfcerts.last_error(code) unless code.zero?

        text
      end
      free_iterator if text.nil?
      text && Cfcerts.parse_json(text).map { |raw| ClientCertificate.from_json(raw) }
    rescue Exception # rubocop:disable Lint/RescueException -- Timeout, Thread#raise: the listing is over either way
      free_iterator
      raise
    end

    def free_iterator
      iterator, @iterator = @iterator, nil
      iterator&.free
    end
  end

  # /zones/{zone_id}/client_certificates.
  class ClientCertificates
    def initialize(client)
      @client = client
    end

    # Every certificate of the zone as a lazy Enumerator (pages fetched as it is consumed, up to prefetch_pages
    # ahead, default 4). With a block, yields each certificate and returns nil.
    #
    # Each pass over the Enumerator (each, to_a, first, count, next...) is a listing of its own from the first
    # page, so every Enumerable idiom works any number of times, from any number of threads. A pass that stops
    # early (first(n), break, an exception) frees its listing at once; one abandoned midway (external next, then
    # nothing) is freed by the garbage collector. The arguments are checked here, and the first pass's listing is
    # made here too: it works even after the client is closed (later passes then raise InvalidArgument).
    def each(zone_id, status: nil, per_page: nil, prefetch_pages: nil, &block)
      params = Arguments.json_object({ status: status, per_page: per_page, prefetch_pages: prefetch_pages }, "each")
      zone = Arguments.text(zone_id, "zone_id")
      client = @client
      first = [Listing.new(client, zone, params)]
      taking = Mutex.new
      enumerator = Enumerator.new do |yielder|
        listing = taking.synchronize { first.pop } || Listing.new(client, zone, params)
        begin
          while (certificate = listing.next_certificate)
            yielder << certificate
          end
        ensure
          listing.close
        end
      end
      return enumerator unless block

      enumerator.each(&block)
      nil
    end

    # One page (page from 1, per_page 5..50, default 20).
    def list_page(zone_id, page: nil, per_page: nil, status: nil, limit: nil, offset: nil)
      params = Arguments.json_object({ page: page, per_page: per_page, status: status, limit: limit, offset: offset },
                                     "list_page")
      CertificatePage.from_json(@client.call_json(:cfcerts_list_page, Arguments.text(zone_id, "zone_id"), params))
    end

    def get(certificate_id, zone_id:) = certificate(:cfcerts_get, zone_id, certificate_id)

    # Has Cloudflare's CA issue a certificate for csr (PEM). Never retried in a way that could issue two.
    def create(zone_id:, csr:, validity_days: 3650)
      params = Arguments.json_object({ csr: Arguments.text(csr, "csr"),
                                       validity_days: Arguments.integer(validity_days, "validity_days") }, "create")
      ClientCertificate.from_json(@client.call_json(:cfcerts_create, Arguments.text(zone_id, "zone_id"), params))
    end

    # Reactivates a certificate in pending_revocation: then pending_reactivation (or already active).
    def reactivate(certificate_id, zone_id:) = certificate(:cfcerts_reactivate, zone_id, certificate_id)

    # Starts revoking an active certificate: then pending_revocation (or already revoked).
    def revoke(certificate_id, zone_id:) = certificate(:cfcerts_revoke, zone_id, certificate_id)

    # Revokes many certificates, concurrency at a time (default 8): a BulkRun, Enumerable over each item's outcome
    # as it completes. With journal: (a file path, the record of this run) a run killed at any moment and started
    # again with the same ids and journal revokes nothing twice; a finished run's journal raises InvalidArgument,
    # one another run is using InUse. With a block, yields each outcome and returns the run (its summary set).
    def bulk_revoke(certificate_ids, zone_id:, concurrency: nil, journal: nil, &block)
      bulk("revoke", zone_id, { ids: ids(certificate_ids) }, concurrency, journal, &block)
    end

    # Reactivates many certificates in pending_revocation, as bulk_revoke does.
    def bulk_reactivate(certificate_ids, zone_id:, concurrency: nil, journal: nil, &block)
      bulk("reactivate", zone_id, { ids: ids(certificate_ids) }, concurrency, journal, &block)
    end

    # Issues one certificate per CSR: each item a PEM string, or a Hash with :csr (and :validity_days, :name; the
    # name comes back in its outcome). With journal:, a create whose answer was lost is found by its CSR.
    def bulk_create(items, zone_id:, validity_days: 3650, concurrency: nil, journal: nil, &block)
      converted = items.each_with_index.map do |item, index|
        item = { csr: item } if item.is_a?(String)
        raise InvalidArgument, "items[#{index}] must be a CSR string or a Hash with :csr" unless item.is_a?(Hash)

        entry = { csr: Arguments.text(item[:csr] || item["csr"], "items[#{index}].csr"),
                  validity_days: Arguments.integer(item[:validity_days] || item["validity_days"] || validity_days,
                                                   "items[#{index}].validity_days") }
        name = item[:name] || item["name"]
        entry[:name] = Arguments.text(name, "items[#{index}].name") if name
        entry
      end
      bulk("create", zone_id, { items: converted }, concurrency, journal, &block)
    end

    private

    def ids(certificate_ids)
      certificate_ids.each_with_index.map { |id, index| Arguments.text(id, "certificate_ids[#{index}]") }
    end

    def bulk(operation, zone_id, work, concurrency, journal, &block)
      params = Arguments.json_object({ operation: operation, **work, concurrency: concurrency, journal: journal },
                                     "bulk_#{operation}")
      run = BulkRun.new(@client, Arguments.text(zone_id, "zone_id"), params)
      return run unless block

      run.each(&block)
      run
    end

    def certificate(function, zone_id, certificate_id)
      ClientCertificate.from_json(@client.call_json(function, Arguments.text(zone_id, "zone_id"),
                                                    Arguments.text(certificate_id, "certificate_id")))
    end
  end

  # @api private: cfcerts_<kind>_new(&out, client, zone, params) as a handle freed by cfcerts_<kind>_free: at
  # once by its owner's close, or by the garbage collector for one abandoned midway.
  def self.native_handle(client, kind, zone, params)
    client.with_handle do |handle|
      out = FFI::MemoryPointer.new(:pointer)
      code = Library.public_send(:"cfcerts_#{kind}_new", out, handle, zone, params)
      raise last_error(code) unless code.zero?

      FFI::AutoPointer.new(out.read_pointer, Library.method(:"cfcerts_#{kind}_free"))
    end
  end

  # A new private key (key_type "p256" or "rsa2048") and a CSR with this subject. No network.
  def self.generate_csr(common_name, organization: nil, organizational_unit: nil, country: nil, state: nil,
                        location: nil, key_type: "p256")
    subject = Arguments.json_object({ common_name: common_name, organization: organization,
                                      organizational_unit: organizational_unit, country: country, state: state,
                                      location: location, key_type: key_type }, "generate_csr")
    code, text = Library.call_for_string(:cfcerts_csr_generate, subject)
    raise last_error(code) unless code.zero?

    generated = parse_json(text)
    GeneratedCSR.new(private_key_pem: generated["private_key_pem"], csr_pem: generated["csr_pem"],
                     key_type: generated["key_type"]).freeze
  end

  # What a PEM CSR holds: {"subject" => {...}, "key_type" => "p256", "signature_valid" => true}.
  def self.inspect_csr(pem)
    code, text = Library.call_for_string(:cfcerts_csr_inspect, Arguments.text(pem, "pem"))
    raise last_error(code) unless code.zero?

    deep_freeze(parse_json(text))
  end

  # A PKCS#12 file (.p12: binary DER, an ASCII-8BIT String) holding certificate_pem, its private key and the CA
  # certificates of chain_pems (a PEM String or an Array of them; each may hold several), encrypted under
  # password. profile: "modern" (PBES2, AES-256-CBC, HMAC-SHA256: OpenSSL 3's default) or "legacy" (PBE-SHA1-3DES,
  # HMAC-SHA1: older Android, iOS and Windows keystores). friendly_name: the name keystores show. No network.
  # InvalidArgument for a key that is not the certificate's, an empty password, ...; never with the password in it.
  def self.make_pkcs12(certificate_pem:, private_key_pem:, password:, chain_pems: [], profile: "modern",
                       friendly_name: nil)
    chain = chain_pems.is_a?(String) ? [chain_pems] : chain_pems
    raise InvalidArgument, "chain_pems must be a PEM String or an Array of them, not #{chain.class}" unless chain.is_a?(Array)

    chain = chain.each_with_index.map { |pem, index| Arguments.text(pem, "chain_pems[#{index}]") }
    params = Arguments.json_object({ certificate_pem: Arguments.text(certificate_pem, "certificate_pem"),
                                     private_key_pem: Arguments.text(private_key_pem, "private_key_pem"),
                                     chain_pems: chain, profile: profile, friendly_name: friendly_name }, "make_pkcs12")
    out = FFI::MemoryPointer.new(:pointer)
    length = FFI::MemoryPointer.new(:size_t)
    code = Library.cfcerts_pkcs12_create(out, length, params, Arguments.text(password, "password"))
    raise last_error(code) unless code.zero?

    pointer = out.read_pointer
    begin
      pointer.read_bytes(length.read(:size_t))
    ensure
      Library.cfcerts_bytes_free(pointer)
    end
  end

  # The library's JSON, parsed with the library's own nesting limit (it refuses answers deeper than 512).
  def self.parse_json(text)
    JSON.parse(text, max_nesting: false)
  rescue JSON::ParserError => e
    raise Decode, "the library handed out JSON this binding cannot read: #{e.message[0, 200]}"
  end

  # The loaded libcfcerts's version, e.g. "0.5.0".
  def self.library_version = Library.cfcerts_version
end
