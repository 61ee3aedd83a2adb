-- The schema the landed release (commit 15d0490) creates: SQLModel.metadata.create_all
-- of server/store/models.py and components.py, then the audit triggers of engine.py.
-- Generated from that commit's code; each statement ends at a comment line holding a lone semicolon.

CREATE TABLE auth_token (
	token_hash VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (token_hash)
)
-- ;
CREATE TABLE setting (
	"key" VARCHAR(64) NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
)
-- ;
CREATE TABLE sitting (
	id INTEGER NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	batch VARCHAR(100) NOT NULL, 
	judge_count INTEGER NOT NULL, 
	score_decimals INTEGER NOT NULL, 
	result_decimals INTEGER NOT NULL, 
	min_scores INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	announced_id INTEGER, 
	PRIMARY KEY (id)
)
-- ;
CREATE TABLE audit_event (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	at VARCHAR(40) NOT NULL, 
	actor VARCHAR(20) NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	data TEXT NOT NULL, 
	prev VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (session_id, seq), 
	FOREIGN KEY(session_id) REFERENCES sitting (id)
)
-- ;
CREATE TABLE position (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	code VARCHAR(50) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	openings INTEGER NOT NULL, 
	shortlist_ratio VARCHAR(20) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (session_id, code), 
	FOREIGN KEY(session_id) REFERENCES sitting (id)
)
-- ;
CREATE INDEX ix_position_session_id ON position (session_id)
-- ;
CREATE TABLE score_component (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	name VARCHAR(50) NOT NULL, 
	weight VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (session_id, name), 
	FOREIGN KEY(session_id) REFERENCES sitting (id)
)
-- ;
CREATE INDEX ix_score_component_session_id ON score_component (session_id)
-- ;
CREATE TABLE token (
	token VARCHAR(64) NOT NULL, 
	session_id INTEGER NOT NULL, 
	role VARCHAR(10) NOT NULL, 
	seat INTEGER, 
	PRIMARY KEY (token), 
	FOREIGN KEY(session_id) REFERENCES sitting (id)
)
-- ;
CREATE INDEX ix_token_session_id ON token (session_id)
-- ;
CREATE TABLE interview (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	position_id INTEGER NOT NULL, 
	draw_no INTEGER NOT NULL, 
	candidate_name VARCHAR(50) NOT NULL, 
	state VARCHAR(20) NOT NULL, 
	result VARCHAR(20), 
	dropped_high INTEGER, 
	dropped_low INTEGER, 
	started_at DATETIME, 
	scored_at DATETIME, 
	announced_at DATETIME, 
	signed_at DATETIME, 
	signature TEXT, 
	note VARCHAR(2000), 
	countdown_ends_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (session_id, position_id, draw_no), 
	FOREIGN KEY(session_id) REFERENCES sitting (id), 
	FOREIGN KEY(position_id) REFERENCES position (id)
)
-- ;
CREATE INDEX ix_interview_session_id ON interview (session_id)
-- ;
CREATE TABLE component_score (
	id INTEGER NOT NULL, 
	interview_id INTEGER NOT NULL, 
	component_id INTEGER NOT NULL, 
	score VARCHAR(10) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (interview_id, component_id), 
	FOREIGN KEY(interview_id) REFERENCES interview (id), 
	FOREIGN KEY(component_id) REFERENCES score_component (id)
)
-- ;
CREATE INDEX ix_component_score_interview_id ON component_score (interview_id)
-- ;
CREATE TABLE excusal (
	id INTEGER NOT NULL, 
	interview_id INTEGER NOT NULL, 
	seat INTEGER NOT NULL, 
	reason VARCHAR(500) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (interview_id, seat), 
	FOREIGN KEY(interview_id) REFERENCES interview (id)
)
-- ;
CREATE INDEX ix_excusal_interview_id ON excusal (interview_id)
-- ;
CREATE TABLE mark (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	interview_id INTEGER NOT NULL, 
	seat INTEGER NOT NULL, 
	score VARCHAR(10) NOT NULL, 
	request_id VARCHAR(100) NOT NULL, 
	submitted_at DATETIME NOT NULL, 
	voided_at DATETIME, 
	active_key VARCHAR(40), 
	PRIMARY KEY (id), 
	UNIQUE (session_id, seat, request_id), 
	FOREIGN KEY(session_id) REFERENCES sitting (id), 
	FOREIGN KEY(interview_id) REFERENCES interview (id), 
	UNIQUE (active_key)
)
-- ;
CREATE INDEX ix_mark_interview ON mark (interview_id)
-- ;
CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
-- ;
CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
-- ;
