# frozen_string_literal: true

require "json"

module Cfcerts
  # Ruby values to the C layer's types. Only what C cannot see is checked here (the C layer checks the rest):
  # a String where a string is expected, valid UTF-8 with no NUL inside (C would cut the string there), and
  # numbers that fit a C int (FFI would refuse them with a RangeError instead of our InvalidArgument).
  module Arguments
    INT_MAX = 2**31 - 1

    module_function

    def text(value, name)
      raise InvalidArgument, "#{name} must be a String, not #{value.class}" unless value.is_a?(String)

      utf8 = value.encoding == Encoding::UTF_8 ? value : value.dup.force_encoding(Encoding::UTF_8)
      raise InvalidArgument, "#{name} is not valid UTF-8" unless utf8.valid_encoding?
      raise InvalidArgument, "#{name} holds a NUL character" if utf8.include?("\0")

      utf8
    end

    def optional_text(value, name)
      value.nil? ? nil : text(value, name)
    end

    # The non-nil entries as a JSON object.
    def json_object(values, name)
      present = values.compact
      present.each { |key, value| text(value, key.to_s) if value.is_a?(String) }
      JSON.generate(present)
    rescue JSON::GeneratorError => e
      raise InvalidArgument, "#{name}: #{e.message}"
    end

    def integer(value, name)
      raise InvalidArgument, "#{name} must be an Integer, not #{value.class}" unless value.is_a?(Integer)

      value
    end

    # Seconds (> 0) as whole milliseconds that fit a C int; nil stays 0 (the library's default).
    def milliseconds(seconds, name)
      return 0 if seconds.nil?
      raise InvalidArgument, "#{name} must be a number of seconds" unless seconds.is_a?(Numeric) && seconds.real?
      raise InvalidArgument, "#{name} must be a positive, finite number of seconds" unless seconds.positive? && seconds.finite?

      value = (seconds * 1000).ceil
      raise InvalidArgument, "#{name} is too long (at most a day)" if value > INT_MAX

      value
    end

    # pacing_requests, pacing_window_seconds of the C options; nil is [0, 0], the default. A String, or a
    # [requests, seconds] pair written as one, is read by the library's one pacing syntax (cfcerts_pacing_parse),
    # so its bounds and message are those of every face.
    def pacing(pacing)
      return [0, 0] if pacing.nil?

      if pacing.is_a?(Array) && pacing.size == 2
        pacing = "#{integer(pacing[0], 'pacing requests')}/#{integer(pacing[1], 'pacing seconds')}"
      end
      unless pacing.is_a?(String)
        raise InvalidArgument, "pacing must be \"off\", \"REQUESTS/SECONDS\" or [requests, seconds], not #{pacing.class}"
      end

      requests = FFI::MemoryPointer.new(:int)
      seconds = FFI::MemoryPointer.new(:int)
      code = Library.cfcerts_pacing_parse(requests, seconds, text(pacing, "pacing"))
      raise Cfcerts.last_error(code) unless code.zero?

      [requests.read_int, seconds.read_int]
    end
  end
end
