"""Query functions, one module per resource, each keyword-only and returning public models:
the JSON routes and the console call the same functions.

    auth          request_challenge, sign_in
    stations      list_stations, get_station, list_intervals
    participants  get_balances
    reports       get_report
    batches       batch_path
    credits       get_credit
    factors       list_factor_datasets
    health        get_health
    settlements   run_settlement, rendered_statement, get_statement, get_own_line,
                  statement_csv, relay_response
    trace         trace_credit, trace_account, trace_settlement_line

`rows`, `credit_rows` and `trace_rows` hold the SQL underneath; `access` who may see what."""
