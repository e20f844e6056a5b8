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
    include NativeRun

    attr_reader :summary

    def initialize(client, zone, params)
      @summary = nil
      open_run(client, zone, params)
    end

    private

    def native_kind = :bulk

    def parse_item(fields) = Cfcerts.bulk_outcome(fields)

    def read_end
      code, text = Library.call_for_string(:cfcerts_bulk_summary, @run)
      return unless code.zero?

      fields = Cfcerts.parse_json(text)
      @summary = BulkSummary.new(
        total: fields["total"], done: fields["done"], already_done: fields["already_done"], failed: fields["failed"],
        not_started: fields["not_started"], rate_limited_answers: fields["rate_limited_answers"],
        elapsed: fields["elapsed_ms"] / 1000.0, journal_error: Cfcerts.bulk_error(fields["journal_error"])
      ).freeze
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
