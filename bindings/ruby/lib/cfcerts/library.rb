# frozen_string_literal: true

require "ffi"

module Cfcerts
  # libcfcerts, found in this order: CFCERTS_LIBRARY, the copy inside the gem, the system loader by SONAME.
  module Library
    extend FFI::Library

    SONAME = "libcfcerts.so.0"
    EXPECTED_MAJOR = 0
    ITEROVER = -10
    ECANCELLED = -12
    OPTIONS_VERSION = 3
    NO_RETRIES = -1

    # `cfcerts_client_options`, version 3.
    class ClientOptions < FFI::Struct
      layout :version, :uint,
             :api_token, :pointer,
             :api_email, :pointer,
             :api_key, :pointer,
             :user_service_key, :pointer,
             :base_url, :pointer,
             :connect_timeout_ms, :int,
             :request_timeout_ms, :int,
             :max_retries, :int,
             :user_agent_suffix, :pointer,
             :allow_insecure_http, :int,
             :total_timeout_ms, :int,
             :pacing_requests, :int,
             :pacing_window_seconds, :int
    end

    # `cfcerts_error`: only the fields this binding knows (the library may append more).
    class LastError < FFI::Struct
      layout :code, :int,
             :http_status, :int,
             :message, :string,
             :ray_id, :string,
             :cloudflare_errors, :string,
             :retry_after_ms, :long_long,
             :outcome_unknown, :int
    end

    def self.candidates
      places = []
      override = ENV["CFCERTS_LIBRARY"]
      places << override if override && !override.empty?
      places << File.join(__dir__, SONAME)
      places << SONAME
    end

    attempts = []
    loaded = candidates.find do |place|
      if place.include?("/") && !File.exist?(place)
        attempts << "#{place}: no such file"
        next false
      end
      begin
        ffi_lib place
        true
      rescue LoadError => e
        attempts << "#{place}: #{e.message}"
        false
      end
    end
    unless loaded
      raise LoadError, "cannot load libcfcerts; tried, in order: #{attempts.join('; ')} " \
                       "(set CFCERTS_LIBRARY to the library's path)"
    end

    attach_function :cfcerts_version_number, [], :int
    attach_function :cfcerts_version, [], :string
    attach_function :cfcerts_strerror, [:int], :string
    attach_function :cfcerts_error_last, [], LastError.by_ref
    attach_function :cfcerts_string_free, [:pointer], :void
    attach_function :cfcerts_client_new, %i[pointer pointer], :int, blocking: true
    attach_function :cfcerts_client_free, [:pointer], :void, blocking: true
    attach_function :cfcerts_list_page, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_get, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_create, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_reactivate, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_revoke, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_iter_new, %i[pointer pointer string string], :int
    attach_function :cfcerts_iter_next, %i[pointer pointer], :int, blocking: true
    attach_function :cfcerts_iter_next_page, %i[pointer pointer], :int, blocking: true
    attach_function :cfcerts_iter_free, [:pointer], :void, blocking: true
    attach_function :cfcerts_bulk_new, %i[pointer pointer string string], :int
    attach_function :cfcerts_bulk_next, %i[pointer pointer], :int, blocking: true
    attach_function :cfcerts_bulk_summary, %i[pointer pointer], :int
    attach_function :cfcerts_bulk_cancel, [:pointer], :void
    attach_function :cfcerts_bulk_free, [:pointer], :void, blocking: true
    attach_function :cfcerts_fleet_plan, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_fleet_apply_new, %i[pointer pointer string string], :int
    attach_function :cfcerts_fleet_apply_next, %i[pointer pointer], :int, blocking: true
    attach_function :cfcerts_fleet_apply_hook_done, %i[pointer int string], :int
    attach_function :cfcerts_fleet_apply_report, %i[pointer pointer], :int
    attach_function :cfcerts_fleet_apply_cancel, [:pointer], :void
    attach_function :cfcerts_fleet_apply_free, [:pointer], :void, blocking: true
    attach_function :cfcerts_cancellable_new, [:pointer], :int
    attach_function :cfcerts_cancellable_cancel, [:pointer], :void
    attach_function :cfcerts_cancellable_push_current, [:pointer], :int
    attach_function :cfcerts_cancellable_pop_current, [:pointer], :int
    attach_function :cfcerts_cancellable_free, [:pointer], :void
    attach_function :cfcerts_hostname_associations_get, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_hostname_associations_update, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_hostname_associations_add, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_hostname_associations_remove, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_csr_generate, %i[pointer string], :int, blocking: true
    attach_function :cfcerts_csr_inspect, %i[pointer string], :int
    attach_function :cfcerts_pacing_parse, %i[pointer pointer string], :int
    attach_function :cfcerts_pkcs12_create, %i[pointer pointer string string], :int, blocking: true
    attach_function :cfcerts_bytes_free, [:pointer], :void

    found = cfcerts_version_number / 10_000
    unless found == EXPECTED_MAJOR
      raise LoadError, "libcfcerts #{cfcerts_version} is loaded; this gem needs #{EXPECTED_MAJOR}.x"
    end

    # Calls `function(&out, *args)`: [code, the string (nil when none)], the string freed by the library.
    def self.call_for_string(function, *args)
      out = FFI::MemoryPointer.new(:pointer)
      code = send(function, out, *args)
      pointer = out.read_pointer
      text = nil
      unless pointer.null?
        begin
          text = pointer.read_string.force_encoding(Encoding::UTF_8)
        ensure
          cfcerts_string_free(pointer)
        end
      end
      [code, text]
    end
  end
end
