# frozen_string_literal: true

module Cfcerts
  # One item's outcome. status: "done", "already_done" (no request was needed: the journal, or a read after a lost
  # answer, says it was done) or "failed" (error says why).
  # journal_error: why the journal could not be written after the item was done (its certificate is still here).
  BulkOutcome = Struct.new(:index, :status, :id, :name, :certificate, :error, :journal_error, keyword_init: true) do
    def ok? = status != "failed"
  end

  # A run's totals; elapsed in seconds; rate_limited_answers: 429s the run drew (0 while pacing keeps to budget).
  BulkSummary = Struct.new(:total, :done, :already_done, :failed, :not_started, :rate_limited_answers, :elapsed,
                           :journal_error, keyword_init: true)

  # A bulk run in progress: Enumerable over each item's outcome as it completes; summary is set once every outcome
  # has been read. The work goes on in the background between reads. The outcomes are kept, so the run can be
  # enumerated any number of times, partially or from several threads (later passes replay what earlier ones
  # read, then read on). cancel (any thread) starts no more items; close cancels and frees the C run.
  class BulkRun
    include Enumerable

    attr_reader :summary

    def initialize(client, zone, params)
      # @lock serialises reads (held for a whole call); @handle_lock guards @run itself, so cancel (from any
      # thread, also while a read holds @lock) never reaches a run another thread is freeing.
      @lock = Mutex.new
      @handle_lock = Mutex.new
      @outcomes = []
      @summary = nil
      @run = Cfcerts.native_handle(client, :bulk, zone, params)
    end

    def each
      return enum_for(:each) unless block_given?

      index = 0
      while (outcome = outcome_at(index))
        index += 1
        yield outcome
      end
      self
    end

    # Starts no more items; those in flight end at once (failed, cancelled). Safe from any thread.
    def cancel
      @handle_lock.synchronize do
        Library.cfcerts_bulk_cancel(@run) if @run
      end
      nil
    end

    def close
      cancel
      @lock.synchronize { free_run }
      nil
    end

    private

    def outcome_at(index)
      @lock.synchronize do
        return @outcomes[index] if index < @outcomes.size

        read_next
      end
    end

    # With the lock held: the next outcome from the C run, nil at the end.
    def read_next
      return nil unless @run

      run = @run
      code, text, error = Cfcerts.interruptible(-> { cancel }) do
        code, text = Library.call_for_string(:cfcerts_bulk_next, run)
        [code, text, code.zero? || code == Library::ITEROVER ? nil : Cfcerts.last_error(code)]
      end
      if code == Library::ITEROVER
        read_summary
        free_run
        return nil
      end
      if error
        free_run
        raise error
      end
      outcome = Cfcerts.bulk_outcome(Cfcerts.parse_json(text))
      @outcomes << outcome
      outcome
    end

    def read_summary
      code, text = Library.call_for_string(:cfcerts_bulk_summary, @run)
      return unless code.zero?

      fields = Cfcerts.parse_json(text)
      @summary = BulkSummary.new(
        total: fields["total"], done: fields["done"], already_done: fields["already_done"], failed: fields["failed"],
        not_started: fields["not_started"], rate_limited_answers: fields["rate_limited_answers"],
        elapsed: fields["elapsed_ms"] / 1000.0, journal_error: Cfcerts.bulk_error(fields["journal_error"])
      ).freeze
    end

    def free_run
      @handle_lock.synchronize do
        run, @run = @run, nil
        run&.free
      end
    end
  end

  # @api private
  def self.bulk_outcome(fields)
    certificate = fields["certificate"]
    BulkOutcome.new(index: fields["index"], status: fields["status"], id: fields["id"], name: fields["name"],
                    certificate: certificate.is_a?(Hash) ? ClientCertificate.from_json(certificate) : nil,
                    error: bulk_error(fields["error"]), journal_error: bulk_error(fields["journal_error"])).freeze
  end

  # @api private: an error object of the library's JSON ({"code", "message", ...}) as an Error, nil for anything else.
  def self.bulk_error(fields)
    return nil unless fields.is_a?(Hash)

    klass = ERROR_CLASSES.fetch(fields["code"], Error)
    klass.new(fields["message"].to_s, http_status: fields["http_status"].to_i.zero? ? nil : fields["http_status"],
                                      errors: fields["cloudflare_errors"] || [],
                                      ray_id: fields["ray_id"].to_s.empty? ? nil : fields["ray_id"])
  end
end
