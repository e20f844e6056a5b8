# frozen_string_literal: true

require_relative "helper"
require "tmpdir"

# Bulk runs from Ruby: an Enumerable enumerated twice, partially and from threads; failures isolated; a journal
# that records one run (a finished one is refused, one in use too); cancel from another thread; the pacing keyword.
class BulkTest < Minitest::Test
  include EmulatorHelper

  def setup
    @client = new_client
    @zone = new_zone
  end

  def teardown
    @client.close
    super
  end

  def ids
    @client.client_certificates.each(@zone).map(&:id)
  end

  def zone_requests = request_count(@zone)

  def test_a_run_enumerates_twice_partially_and_from_threads
    seed(@zone, 12)
    run = @client.client_certificates.bulk_revoke(ids, zone_id: @zone, concurrency: 3)
    assert_equal 2, run.first(2).size
    assert_nil run.summary
    threads = Array.new(4) { Thread.new { run.to_a } }
    passes = threads.map(&:value)
    assert(passes.all? { |pass| pass.size == 12 })
    assert_equal (0...12).to_a, run.map(&:index).sort
    assert_equal 12, run.count(&:ok?)
    assert_equal 12, run.summary.done
    assert(run.all? { |o| o.certificate.status == "pending_revocation" })
  end

  def test_a_failed_item_stops_nothing
    seed(@zone, 5)
    missing = "0" * 32
    outcomes = []
    run = @client.client_certificates.bulk_revoke([missing, *ids], zone_id: @zone) { |o| outcomes << o }
    failed = outcomes.reject(&:ok?)
    assert_equal [missing], failed.map(&:id)
    assert_kind_of Cfcerts::NotFound, failed.first.error
    assert_equal 5, run.summary.done
    assert_equal 1, run.summary.failed
  end

  # The journal cannot take the record of an issue (a file size limit, in a child): the outcome still carries the
  # certificate, with journal_error saying why the record is missing, and the summary says so too.
  def test_an_unwritable_journal_still_hands_out_the_issued_certificate
    Dir.mktmpdir do |dir|
      journal = File.join(dir, "journal")
      csr = Cfcerts.generate_csr("kept.example.com").csr_pem
      fault(kind: "drop", method: "POST", path: "/client/v4/zones/#{@zone}/client_certificates")
      assert_equal ["failed"], @client.client_certificates.bulk_create([csr], zone_id: @zone, journal: journal).map(&:status)
      sent = File.readlines(journal).find { |line| line.include?('"event":"sent"') }
      limit = File.size(journal) + sent.bytesize + 8 # room for the resumed run's "sent", not its "done"
      reader, writer = IO.pipe
      pid = fork do
        reader.close
        Signal.trap("XFSZ", "IGNORE")
        Process.setrlimit(:FSIZE, limit, limit)
        # Attempts of 5 s: the resumed run waits at most that long for the lost create's answer before it settles.
        run = new_client(timeout: 5).client_certificates.bulk_create([csr], zone_id: @zone, journal: journal)
        outcome = run.to_a.first
        writer.write(JSON.generate(status: outcome.status, id: outcome.certificate&.id,
                                   journal_error: outcome.journal_error.class.name,
                                   summary_journal_error: run.summary.journal_error.class.name))
        writer.close
        exit!(0)
      end
      writer.close
      answer = JSON.parse(reader.read)
      Process.wait(pid)
      assert_equal "done", answer["status"]
      assert_equal ids, [answer["id"]]
      refute_equal "NilClass", answer["journal_error"]
      refute_equal "NilClass", answer["summary_journal_error"]
    end
  end

  def test_a_journal_records_one_run
    Dir.mktmpdir do |dir|
      journal = File.join(dir, "journal")
      csrs = Array.new(4) { |i| Cfcerts.generate_csr("r#{i}.example.com").csr_pem }
      items = csrs.each_with_index.map { |csr, i| { csr: csr, name: "r#{i}" } }
      first = @client.client_certificates.bulk_create(items, zone_id: @zone, validity_days: 10, journal: journal).to_a
      assert_equal %w[done], first.map(&:status).uniq
      error = assert_raises(Cfcerts::InvalidArgument) do
        @client.client_certificates.bulk_create(items, zone_id: @zone, validity_days: 10, journal: journal)
      end
      assert_match(/pass a new journal/, error.message)
      assert_equal 4, ids.size
      assert_equal "600", format("%o", File.stat(journal).mode & 0o777)
    end
  end

  def test_a_journal_in_use_by_another_run_is_refused
    Dir.mktmpdir do |dir|
      journal = File.join(dir, "journal")
      csr = Cfcerts.generate_csr("busy.example.com").csr_pem
      fault(kind: "delay", method: "POST", path: "/client/v4/zones/#{@zone}/client_certificates", delay_ms: 1500)
      first = @client.client_certificates.bulk_create([{ csr: csr }], zone_id: @zone, journal: journal)
      error = assert_raises(Cfcerts::InUse) do
        @client.client_certificates.bulk_create([{ csr: csr }], zone_id: @zone, journal: journal)
      end
      assert_match(/in use/, error.message)
      assert_equal %w[done], first.to_a.map(&:status)
    end
  end

  def test_bad_items_and_options_are_refused_before_anything_is_sent
    before = zone_requests
    [-> { @client.client_certificates.bulk_revoke(%w[a a], zone_id: @zone) },
     -> { @client.client_certificates.bulk_revoke(["a"], zone_id: @zone, concurrency: 99) },
     -> { @client.client_certificates.bulk_create([{ csr: "" }], zone_id: @zone) },
     -> { @client.client_certificates.bulk_create([42], zone_id: @zone) },
     -> { @client.client_certificates.bulk_revoke(["a\0b"], zone_id: @zone) }].each do |call|
      assert_raises(Cfcerts::InvalidArgument) { call.call }
    end
    assert_equal before, zone_requests
  end

  # cancel from one thread while another closes the run: the close frees the C run only once the cancel has
  # returned. A slowed cfcerts_bulk_cancel widens the window; it records whether the run was freed under it.
  def test_cancel_racing_close_never_uses_a_freed_run
    seed(@zone, 4)
    run = @client.client_certificates.bulk_revoke(ids, zone_id: @zone, concurrency: 1)
    original = Cfcerts::Library.method(:cfcerts_bulk_cancel)
    freed_under_cancel = []
    calls = 0
    Cfcerts::Library.singleton_class.send(:define_method, :cfcerts_bulk_cancel) do |handle|
      calls += 1
      next original.call(handle) unless calls == 1

      sleep 0.5
      freed = run.instance_variable_get(:@run).nil?
      freed_under_cancel << freed
      freed ? 0 : original.call(handle) # never hand a freed run to the library, even on the old code
    end
    canceller = Thread.new { run.cancel }
    sleep 0.1
    run.close
    canceller.join
    assert_equal [false], freed_under_cancel
  ensure
    Cfcerts::Library.singleton_class.send(:define_method, :cfcerts_bulk_cancel, original) if original
  end

  def test_cancel_from_another_thread
    seed(@zone, 30)
    fault(kind: "delay", method: "DELETE", count: 100, delay_ms: 100)
    run = @client.client_certificates.bulk_revoke(ids, zone_id: @zone, concurrency: 2)
    run.first(1)
    Thread.new { run.cancel }.join
    all = run.to_a
    assert_operator run.summary.not_started, :>, 15
    assert_equal 30, all.size + run.summary.not_started
    sleep 0.3 # the revokes in flight at the cancel reach the server's log within their 100 ms delay
  end

  def test_pacing_keyword
    ["sometimes", "5/", [0, 10], [5, 0], [1, 86_401], 12].each do |bad|
      assert_raises(Cfcerts::InvalidArgument, bad.inspect) { new_client(pacing: bad) }
    end
    ["off", "100/10", [50, 5]].each do |good|
      client = new_client(pacing: good)
      assert_equal [], client.client_certificates.list_page(@zone).result
      client.close
    end
  end
end
